// Sign in and sign up.

import { post } from "../api.js";
import { announce, busy, errorSlot, field, h, select } from "../dom.js";
import { AGE_GROUPS, BOWSTYLES, GENDERS } from "./profile.js";

function safeNext(query) {
  const next = query.get("next") || "/app/";
  // Only a page of this app: never an address elsewhere.
  return next.startsWith("/app/") && !next.startsWith("//") ? next : "/app/";
}

// The club invite link a newcomer followed (/app/clubs/join/CODE, carried through sign-in
// in `next`): the new account joins that club as it is made.
function inviteOf(next) {
  const match = /^\/app\/clubs\/join\/([A-Za-z0-9_%-]{1,64})\/?$/.exec(next);
  try {
    return match ? decodeURIComponent(match[1]) : null;
  } catch {
    return null; // a broken escape: no code at all
  }
}

export async function signinPage(ctx) {
  document.title = "Sign in · Arch Stats";
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, maxlength: 254 });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "card narrow", novalidate: false },
    errors,
    field("Email", email),
    field("Password", password),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      errors.show(null);
      try {
        const data = await post("/auth/login", { email: email.value.trim(), password: password.value }, { quiet401: true });
        await ctx.setMe(data.archer, { signedIn: true });
        ctx.navigate(safeNext(ctx.query), { replace: true });
      } catch (err) {
        errors.show(err);
        password.select();
      }
    });
  });
  ctx.main.append(
    h("h1", {}, "Sign in"),
    h("p", { class: "lead" }, "Record every arrow, see it land, and learn from your groups."),
    form,
    h("p", { class: "center" }, "New here? ", h("a", { href: `/app/signup${location.search}` }, "Create an account"), "."),
  );
  email.focus();
}

export async function signupPage(ctx) {
  document.title = "Create an account · Arch Stats";
  const name = h("input", { type: "text", name: "name", autocomplete: "name", required: true, maxlength: 100 });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true, maxlength: 254 });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "new-password",
    required: true,
    minlength: 8,
    maxlength: 128,
  });
  const bowstyle = select("bowstyle", BOWSTYLES, "recurve");
  const gender = select("gender", GENDERS, "male");
  const age = select("age_group", AGE_GROUPS, "adult");
  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, "Create my account");
  const next = safeNext(ctx.query);
  const invite = inviteOf(next);
  const form = h(
    "form",
    { class: "card narrow" },
    invite
      ? h(
          "p",
          { class: "invite-note" },
          "Your account joins the club that invited you as it is made, sharing your sessions with its coaches (you can turn that off at once on the Clubs page). If the invite no longer works, ask the club for a new one, or ",
          h("a", { href: "/app/signup" }, "create your account without it"),
          ".",
        )
      : null,
    errors,
    field("Name", name),
    field("Email", email),
    field("Password", password, "At least 8 characters."),
    h(
      "fieldset",
      {},
      h("legend", {}, "For classifications and handicaps"),
      h("div", { class: "grid-3" }, field("Bowstyle", bowstyle), field("Gender category", gender), field("Age group", age)),
    ),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      errors.show(null);
      const body = {
        name: name.value.trim(),
        email: email.value.trim(),
        password: password.value,
        bowstyle: bowstyle.value,
        gender: gender.value,
        age_group: age.value,
      };
      if (invite) body.invite_code = invite;
      try {
        const created = await post("/auth/register", body);
        const data = await post("/auth/login", { email: body.email, password: body.password }, { quiet401: true });
        await ctx.setMe(data.archer, { signedIn: true });
        if (created.club) announce(`Welcome to ${created.club.name}.`);
        ctx.navigate(created.club ? "/app/clubs" : next, { replace: true });
      } catch (err) {
        errors.show(err);
      }
    });
  });
  ctx.main.append(
    h("h1", {}, "Create an account"),
    form,
    h("p", { class: "center" }, "Already have one? ", h("a", { href: `/app/signin${location.search}` }, "Sign in"), "."),
  );
  name.focus();
}
