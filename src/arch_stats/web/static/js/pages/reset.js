// Setting a new password with the one-time link an administrator gave. The secret is in the
// address's fragment (#token=…), which the browser never sends to a server; it is taken out
// of the address bar as soon as it is read.

import { post } from "../api.js";
import { busy, errorSlot, field, h } from "../dom.js";

let kept = null; // the token, once read from the address (survives a redraw of this page)

export async function resetPage(ctx) {
  document.title = "Set a new password · Arch Stats";
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    kept = fromHash;
    history.replaceState(null, "", location.pathname);
  }
  const token = kept;
  ctx.main.append(h("h1", {}, "Set a new password"));
  if (!token) {
    ctx.main.append(
      h("div", { class: "card narrow" }, h("p", {}, "This page needs the password reset link an administrator gave you: open that link as it is."), h("p", {}, h("a", { href: "/app/signin" }, "Sign in"), " instead.")),
    );
    return;
  }
  const password = h("input", { type: "password", name: "new_password", autocomplete: "new-password", required: true, minlength: 8, maxlength: 128 });
  const again = h("input", { type: "password", name: "again", autocomplete: "new-password", required: true, minlength: 8, maxlength: 128 });
  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, "Set the password");
  const form = h(
    "form",
    { class: "card narrow" },
    errors,
    field("New password", password, "At least 8 characters."),
    field("The same again", again),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      errors.show(null);
      if (password.value !== again.value) {
        errors.show(new Error("The two passwords differ."));
        again.select();
        return;
      }
      try {
        const done = await post("/auth/password-reset", { token, new_password: password.value }, { quiet401: true });
        kept = null;
        form.replaceWith(
          h("div", { class: "card narrow", role: "status" }, h("p", {}, done.message), h("p", {}, h("a", { class: "button primary", href: "/app/signin" }, "Sign in"))),
        );
      } catch (err) {
        errors.show(err);
      }
    });
  });
  ctx.main.append(h("p", { class: "lead" }, "Choose the password you will sign in with from now on. Every device signed in to this account is signed out."), form);
  password.focus();
}
