// The archer's profile: what classifications and handicaps need, the password, and where the
// account is signed in (each browser or script can be signed out, or all of them at once).

import { del, get, patch, post } from "../api.js";
import { announce, busy, clear, errorSlot, field, h, select } from "../dom.js";
import { dateTime } from "../format.js";
import { THEMES, chooseTheme, chosenTheme, setTick, tickOn } from "../device.js";

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
        await ctx.setMe(await patch("/auth/me", body));
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
  // What a password change did: the other sign-ins ended, readers to pair again.
  const pwNotice = h("p", { class: "notice", id: "password-notice", hidden: true });
  const change = h("button", { type: "submit" }, "Change password");
  const pwForm = h(
    "form",
    { class: "card" },
    h("h2", {}, "Password"),
    pwErrors,
    h("div", { class: "grid-2" }, field("Current password", current), field("New password", fresh, "At least 8 characters.")),
    h("div", { class: "actions" }, change),
    pwNotice,
  );
  pwForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(change, async () => {
      pwErrors.show(null);
      try {
        const answer = await patch("/auth/me", { current_password: current.value, new_password: fresh.value });
        current.value = "";
        fresh.value = "";
        const message = answer.signed_out ? answer.signed_out.message : "Password changed.";
        pwNotice.hidden = false;
        pwNotice.textContent = message;
        announce(message);
        await signIns.reload();
      } catch (err) {
        pwErrors.show(err);
      }
    });
  });

  const signIns = signInsCard(ctx);
  ctx.main.append(h("h1", {}, "Profile"), form, deviceCard(), pwForm, signIns);
  await signIns.reload();
}

/** What this device keeps for itself, whoever signs in: the theme, the tick on record. */
function deviceCard() {
  const chosen = chosenTheme();
  const themes = h(
    "fieldset",
    { class: "theme-choice" },
    h("legend", {}, "Theme"),
    THEMES.map(([value, label]) => {
      const input = h("input", { type: "radio", name: "theme", value, id: `theme-${value}`, checked: value === chosen });
      input.addEventListener("change", () => chooseTheme(value));
      return h("div", { class: "check" }, input, h("label", { for: input.id }, label));
    }),
  );
  const vibrate = h("input", { type: "checkbox", id: "tick-on-record", checked: tickOn() });
  vibrate.addEventListener("change", () => setTick(vibrate.checked));
  return h(
    "section",
    { class: "card", "aria-labelledby": "device-h" },
    h("h2", { id: "device-h" }, "On this device"),
    h("p", { class: "hint" }, "Kept on this phone or computer for whoever uses it, not with your account."),
    themes,
    h("div", { class: "check" }, vibrate, h("label", { for: vibrate.id }, "A short vibration when an arrow is recorded (on phones that have it)")),
  );
}

/** "Signed in": the account's login tokens, each with a Sign out button, and sign out all. */
function signInsCard(ctx) {
  const list = h("div", { id: "sign-ins", "aria-live": "polite" });
  const errors = errorSlot();
  const others = h("button", { type: "button", id: "sign-out-others" }, "Sign out all other devices");
  const everywhere = h("button", { type: "button", id: "sign-out-everywhere" }, "Sign out everywhere");
  const card = h(
    "section",
    { class: "card", "aria-labelledby": "sign-ins-title" },
    h("h2", { id: "sign-ins-title" }, "Where you are signed in"),
    h("p", { class: "hint" }, "Browsers and scripts signed in to this account. Sign out any you do not recognise, then change your password."),
    errors,
    list,
    h("div", { class: "actions" }, others, everywhere),
  );

  async function reload() {
    let tokens;
    try {
      tokens = await get("/auth/login-token", { signal: ctx.signal });
    } catch (err) {
      if ((err && err.name === "AbortError") || (err && err.status === 401)) throw err;
      errors.show(err); // the rest of the profile still works
      return;
    }
    draw(tokens);
  }

  async function signedOutHere() {
    await ctx.setMe(null);
    ctx.navigate("/app/signin");
  }

  function draw(tokens) {
    clear(list);
    // Nothing else to sign out: no button (hidden, as busy() re-enables what it disabled).
    others.hidden = !tokens.some((t) => !t.current);
    list.append(h("ul", { class: "session-list sign-ins" }, tokens.map(item)));
  }

  function item(token) {
    const details = [`Signed in ${dateTime(token.created_at)}`];
    if (token.current) details.push("in use now");
    else if (token.last_used_at) details.push(`last used ${dateTime(token.last_used_at)}`);
    if (token.address) details.push(`from ${token.address}`);
    const label = `Sign out ${token.device}${token.current ? " (this device)" : ""}`;
    const out = h("button", { type: "button", "aria-label": label }, "Sign out");
    out.addEventListener("click", () =>
      busy(out, async () => {
        errors.show(null);
        try {
          await del(`/auth/login-token/${token.id}`);
          if (token.current) {
            signedOutHere();
            return;
          }
          announce(`${token.device} signed out.`);
          await reload();
        } catch (err) {
          errors.show(err);
        }
      }),
    );
    return h(
      "li",
      { class: `session-link${token.current ? " current" : ""}`, dataset: { tokenId: token.id } },
      h("span", { class: "session-title" }, token.device, token.current ? h("span", { class: "badge ok" }, "this device") : null),
      h("span", { class: "session-when" }, details.join(" · ")),
      h("span", { class: "actions" }, out),
    );
  }

  others.addEventListener("click", () =>
    busy(others, async () => {
      errors.show(null);
      try {
        const done = await post("/auth/logout/everywhere", { keep_current: true });
        announce(done.message);
        await reload();
      } catch (err) {
        errors.show(err);
      }
    }),
  );
  everywhere.addEventListener("click", () =>
    busy(everywhere, async () => {
      if (!window.confirm("Sign out of every browser and script, this one included?")) return;
      errors.show(null);
      try {
        await post("/auth/logout/everywhere", { keep_current: false });
        signedOutHere();
      } catch (err) {
        errors.show(err);
      }
    }),
  );
  card.reload = reload;
  return card;
}
