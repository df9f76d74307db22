// Building the page from elements, never from HTML strings: text from the API (a location, an
// arrow's identifier) can never become markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "text") {
      el.textContent = value;
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("a", {href: "/app/"}, "Home"). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element, same calling convention as h(). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** A box listing API errors in words (role=alert: read out when it appears). */
export function errorBox(error) {
  const messages = error && error.messages ? error.messages : [String(error && error.message ? error.message : error)];
  const box = h("div", { class: "error-box", role: "alert" });
  if (messages.length === 1) {
    box.append(h("p", {}, messages[0]));
  } else {
    box.append(h("ul", {}, messages.map((m) => h("li", {}, m))));
  }
  return box;
}

/** A place for a form's errors: show(error) fills it, show(null) empties it. */
export function errorSlot() {
  const slot = h("div", { class: "error-slot" });
  slot.show = (error) => {
    clear(slot);
    if (error) {
      slot.append(errorBox(error));
      slot.scrollIntoView({ block: "nearest" });
    }
  };
  return slot;
}

/** A labelled field; returns the wrapper, the control is `.control`. */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const parts = [h("label", { for: id }, label), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  const wrap = h("div", { class: "field" }, parts);
  wrap.control = control;
  return wrap;
}

export function select(name, options, value) {
  const el = h("select", { name });
  for (const opt of options) {
    if (opt.group) {
      const group = h("optgroup", { label: opt.group });
      for (const o of opt.options) group.append(option(o, value));
      el.append(group);
    } else {
      el.append(option(opt, value));
    }
  }
  return el;
}

function option(opt, value) {
  const [v, label] = Array.isArray(opt) ? opt : [opt, opt];
  return h("option", { value: v, selected: String(v) === String(value ?? "") }, label);
}

/**
 * A button that shows it is busy while `work()` runs, and cannot be pressed twice. Disabling
 * it drops the keyboard focus: the focus comes back to it after, or to the button drawn in its
 * place meanwhile (the same `data-focus`).
 */
export async function busy(button, work) {
  if (button.disabled) return undefined;
  const focused = document.activeElement === button;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    if (focused && (!document.activeElement || document.activeElement === document.body)) {
      const key = button.dataset.focus;
      const now = button.isConnected ? button : key ? document.querySelector(`[data-focus="${CSS.escape(key)}"]`) : null;
      if (now) now.focus({ preventScroll: true });
    }
  }
}

/**
 * Runs `draw()`, which draws parts of `root` again, and keeps the keyboard focus where it was:
 * on the new element with the same `data-focus` as the one that had it.
 */
export function keepFocus(root, draw) {
  const had = document.activeElement;
  const key = had && had !== root && root.contains(had) ? had.dataset.focus : undefined;
  draw();
  if (!key || had.isConnected) return;
  const now = root.querySelector(`[data-focus="${CSS.escape(key)}"]`);
  if (now) now.focus({ preventScroll: true });
}

/** A short-lived message in the page's status area (read out by screen readers). */
export function announce(text) {
  let region = document.getElementById("announce");
  if (!region) {
    region = h("div", { id: "announce", class: "toast", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  region.textContent = text;
  region.classList.add("show");
  clearTimeout(region._timer);
  region._timer = setTimeout(() => region.classList.remove("show"), 3500);
}
