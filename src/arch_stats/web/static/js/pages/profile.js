// The archer's profile: what classifications and handicaps need, and the password.

import { patch } from "../api.js";
import { announce, busy, errorSlot, field, h, select } from "../dom.js";

export const BOWSTYLES = [
  ["recurve", "Recurve"],
  ["compound", "Compound"],
  ["barebow", "Barebow"],
  ["longbow", "Longbow"],
  ["traditional", "Traditional"],
  ["flatbow", "Flatbow"],
];
export const GENDERS = [
  ["male", "Men"],
  ["female", "Women"],
];
export const AGE_GROUPS = [
  ["adult", "Adult"],
  ["50+", "50+"],
  ["under 21", "Under 21"],
  ["under 18", "Under 18"],
  ["under 16", "Under 16"],
  ["under 15", "Under 15"],
  ["under 14", "Under 14"],
  ["under 12", "Under 12"],
];

export async function profilePage(ctx) {
  document.title = "Profile · Arch Stats";
  const me = ctx.me;
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 100, autocomplete: "name", value: me.name });
  const bowstyle = select("bowstyle", BOWSTYLES, me.bowstyle);
  const gender = select("gender", GENDERS, me.gender);
  const age = select("age_group", AGE_GROUPS, me.age_group);
  const draw = h("input", {
    type: "number",
    name: "draw_weight_lbs",
    inputmode: "decimal",
    min: "1",
    max: "199",
    step: "0.5",
    value: me.draw_weight_lbs ?? "",
  });
  const errors = errorSlot();
  const save = h("button", { type: "submit", class: "primary" }, "Save profile");
  const form = h(
    "form",
    { class: "card" },
    errors,
    h("p", { class: "muted" }, `Signed in as ${me.email}`),
    field("Name", name),
    h(
      "div",
      { class: "grid-2" },
      field("Bowstyle", bowstyle),
      field("Gender category", gender, "The category you compete in, for classifications."),
      field("Age group", age),
      field("Draw weight (lbs)", draw, "On your fingers; leave empty if you do not know."),
    ),
    h("div", { class: "actions" }, save),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      errors.show(null);
      const body = { name: name.value.trim(), bowstyle: bowstyle.value, gender: gender.value, age_group: age.value };
      if (draw.value !== "") body.draw_weight_lbs = Number(draw.value);
      try {
        ctx.setMe(await patch("/auth/me", body));
        announce("Profile saved.");
      } catch (err) {
        errors.show(err);
      }
    });
  });

  const current = h("input", { type: "password", name: "current_password", autocomplete: "current-password", required: true });
  const fresh = h("input", {
    type: "password",
    name: "new_password",
    autocomplete: "new-password",
    required: true,
    minlength: 8,
    maxlength: 128,
  });
  const pwErrors = errorSlot();
  const change = h("button", { type: "submit" }, "Change password");
  const pwForm = h(
    "form",
    { class: "card" },
    h("h2", {}, "Password"),
    pwErrors,
    h("div", { class: "grid-2" }, field("Current password", current), field("New password", fresh, "At least 8 characters.")),
    h("div", { class: "actions" }, change),
  );
  pwForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(change, async () => {
      pwErrors.show(null);
      try {
        await patch("/auth/me", { current_password: current.value, new_password: fresh.value });
        current.value = "";
        fresh.value = "";
        announce("Password changed.");
      } catch (err) {
        pwErrors.show(err);
      }
    });
  });

  ctx.main.append(h("h1", {}, "Profile"), form, pwForm);
}
