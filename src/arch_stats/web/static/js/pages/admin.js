// The instance administrator's page: accounts with search, disable / re-enable, and one-time
// password reset links to hand over. It shows counts of sessions, never their content: an
// administrator sees no archer's data. For anyone else the API answers 404 and the page says so.

import { get, post, qs } from "../api.js";
import { announce, busy, clear, errorSlot, h } from "../dom.js";
import { date, dateTime } from "../format.js";

const PAGE = 50;

/** Copy text: the Clipboard API where allowed (https, localhost), else select and copy. */
async function copyText(input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      return true;
    }
  } catch {
    // Refused (permissions): fall back to the selection.
  }
  input.focus();
  input.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

function resetBox(link, name) {
  const input = h("input", { type: "text", readonly: true, value: link.url, "aria-label": `Password reset link for ${name}`, class: "reset-url" });
  const copy = h("button", { type: "button", class: "primary" }, "Copy");
  const said = h("span", { class: "hint", role: "status" });
  copy.addEventListener("click", async () => {
    const done = await copyText(input);
    said.textContent = done ? "Copied." : "Select the link and copy it.";
    if (done) announce("Link copied.");
  });
  input.addEventListener("focus", () => input.select());
  return h(
    "div",
    { class: "reset-box" },
    h("p", { class: "hint" }, `Give this link to ${name} (in person or by a message only they read). It works once, until ${dateTime(link.expires_at)}; a new link ends this one.`),
    h("div", { class: "reset-copy" }, input, copy),
    said,
  );
}

export async function adminPage(ctx) {
  document.title = "Accounts · Arch Stats";
  const search = h("input", { type: "search", name: "q", maxlength: 100, placeholder: "E-mail address or name", "aria-label": "Search accounts", value: ctx.query.get("q") || "" });
  const summary = h("p", { class: "hint", "aria-live": "polite" });
  const list = h("ul", { class: "account-cards", "aria-label": "Accounts" });
  const prev = h("button", { type: "button" }, "Previous");
  const next = h("button", { type: "button" }, "Next");
  const pager = h("div", { class: "actions pager" }, prev, next);
  const errors = errorSlot();
  let offset = Math.max(0, parseInt(ctx.query.get("offset") || "0", 10) || 0);

  async function reload() {
    const q = search.value.trim();
    const page = await get(`/admin/archer${qs({ q, limit: PAGE, offset: offset || "" })}`, { signal: ctx.signal });
    history.replaceState(null, "", `/app/admin${qs({ q, offset: offset || "" })}`);
    draw(page);
  }

  function draw(page) {
    clear(list);
    const last = page.offset + page.items.length;
    summary.textContent = page.total
      ? `${page.offset + 1}–${last} of ${page.total} ${page.total === 1 ? "account" : "accounts"}`
      : "No account matches.";
    prev.disabled = page.offset === 0;
    next.disabled = last >= page.total;
    pager.hidden = page.total <= page.limit;
    list.append(...page.items.map(card));
  }

  function card(account) {
    const me = account.id === ctx.me.id;
    const disabled = account.disabled_at !== null;
    const rowErrors = errorSlot();
    const extra = h("div", { class: "account-extra" });
    const toggle = h("button", { type: "button", class: disabled ? "" : "danger", disabled: me && !disabled, title: me ? "You cannot disable your own account" : null }, disabled ? "Enable" : "Disable");
    // Another administrator's link is the operator's to issue, on the server (the API says 403).
    const otherAdmin = account.is_admin && !me;
    const link = h("button", { type: "button", disabled: otherAdmin, title: otherAdmin ? "Another administrator's reset link is issued on the server: arch-stats admin reset-link EMAIL" : null }, "Reset link");
    toggle.addEventListener("click", () => {
      rowErrors.show(null);
      if (disabled) {
        busy(toggle, () => change("enable", `${account.name} can sign in again.`));
        return;
      }
      // Asked on the card itself (no pop-up): what happens, then the button that does it.
      const yes = h("button", { type: "button", class: "danger" }, "Disable account");
      const no = h("button", { type: "button" }, "Cancel");
      no.addEventListener("click", () => {
        clear(extra);
        toggle.focus();
      });
      yes.addEventListener("click", () => busy(yes, () => change("disable", `${account.name} is disabled: signed out everywhere.`)));
      clear(extra).append(
        h(
          "div",
          { class: "confirm-box", role: "group", "aria-label": "Confirm" },
          h("p", {}, `Disable ${account.name}? Every sign-in and sensor reader of this account stops working now, and it cannot sign in until you enable it again. Nothing is deleted.`),
          h("div", { class: "actions" }, yes, no),
        ),
      );
      yes.focus();
    });
    link.addEventListener("click", () =>
      busy(link, async () => {
        rowErrors.show(null);
        try {
          const made = await post(`/admin/archer/${account.id}/reset-link`);
          clear(extra).append(resetBox(made, account.name));
          extra.querySelector("input").focus();
        } catch (err) {
          rowErrors.show(err);
        }
      }),
    );
    async function change(action, message) {
      try {
        await post(`/admin/archer/${account.id}/${action}`);
        announce(message);
        await reload();
      } catch (err) {
        rowErrors.show(err);
      }
    }
    const sessions = `${account.sessions} ${account.sessions === 1 ? "session" : "sessions"}${account.open_sessions ? ` (${account.open_sessions} open)` : ""}`;
    return h(
      "li",
      { class: `account-card${disabled ? " disabled" : ""}`, dataset: { archerId: account.id } },
      h(
        "div",
        { class: "account-head" },
        h("strong", { class: "account-name" }, account.name),
        me ? h("span", { class: "badge" }, "you") : null,
        account.is_admin ? h("span", { class: "badge ok" }, "administrator") : null,
        disabled ? h("span", { class: "badge warn" }, `disabled ${date(account.disabled_at)}`) : null,
        h("span", { class: "account-email" }, account.email),
        h("span", { class: "account-meta" }, `Joined ${date(account.created_at)} · last sign-in ${account.last_sign_in_at ? dateTime(account.last_sign_in_at) : "never"} · ${sessions}`),
      ),
      h("div", { class: "row-actions" }, toggle, link),
      rowErrors,
      extra,
    );
  }

  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      offset = 0;
      reload().catch((err) => errors.show(err));
    }, 250);
  });
  const form = h("form", { class: "search-row", role: "search" }, search);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    offset = 0;
    reload().catch((err) => errors.show(err));
  });
  prev.addEventListener("click", () => busy(prev, () => ((offset = Math.max(0, offset - PAGE)), reload())));
  next.addEventListener("click", () => busy(next, () => ((offset += PAGE), reload())));
  ctx.onCleanup(() => clearTimeout(timer));

  ctx.main.append(
    h("h1", {}, "Accounts"),
    h("p", { class: "lead" }, "Disable an account, enable it again, or give its archer a link to set a new password. Archers' sessions and scores stay theirs: you see how many there are, not what is in them."),
    form,
    summary,
    errors,
    list,
    pager,
  );
  await reload();
}
