// Arrows: the list, one arrow or a numbered set (A01 … A12) added in one step, edit, retire
// (a retired arrow keeps its history) and bring back. One card per arrow: it reads on a phone.

import { get, patch, post, qs } from "../api.js";
import { announce, busy, clear, errorSlot, field, h } from "../dom.js";
import { num } from "../format.js";

const NUMBERS = [
  // name, label, hint, step
  ["length_mm", "Length (mm)", null, "0.5"],
  ["weight_grains", "Weight (grains)", null, "0.1"],
  ["diameter_mm", "Shaft diameter (mm)", "For line-cutters: half of it is added to the ring.", "0.01"],
  ["spine", "Spine", null, "1"],
  ["label_position_mm", "ID tag position (mm from the nock)", null, "0.5"],
];

/** The spec fields shared by one arrow and a set: returns {el, read(body, editing)}. */
function specFields(arrow) {
  const inputs = {};
  const numberFields = NUMBERS.map(([name, label, hint, step]) => {
    const value = arrow ? arrow[name] : name === "diameter_mm" ? 5.5 : "";
    inputs[name] = h("input", { type: "number", name, step, min: "0", inputmode: "decimal", value: value ?? "" });
    return field(label, inputs[name], hint);
  });
  const programmed = h("input", { type: "checkbox", name: "is_programmed", checked: arrow ? arrow.is_programmed : false });
  programmed.id = `p-${Math.random().toString(36).slice(2)}`;
  const el = [h("div", { class: "grid-3" }, numberFields), h("div", { class: "check" }, programmed, h("label", { for: programmed.id }, "ID tag programmed"))];
  return {
    el,
    read(body, editing) {
      body.is_programmed = programmed.checked;
      for (const [name] of NUMBERS) {
        const raw = inputs[name].value;
        if (raw === "") {
          if (editing && name !== "diameter_mm") body[name] = null;
        } else {
          body[name] = name === "spine" ? parseInt(raw, 10) : Number(raw);
        }
      }
      return body;
    },
  };
}

function arrowForm(arrow, { submitText, onSubmit, onCancel }) {
  const identifier = h("input", {
    type: "text",
    name: "identifier",
    required: true,
    maxlength: 10,
    autocapitalize: "characters",
    autocomplete: "off",
    value: arrow ? arrow.identifier : "",
  });
  const spec = specFields(arrow);
  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, submitText);
  const form = h(
    "form",
    { class: "arrow-form" },
    errors,
    field("Identifier", identifier, "Short label written on the shaft, e.g. A07 (up to 10 characters)."),
    spec.el,
    h("div", { class: "actions" }, submit, onCancel ? h("button", { type: "button", onclick: onCancel }, "Cancel") : null),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      errors.show(null);
      const body = spec.read({ identifier: identifier.value.trim() }, Boolean(arrow));
      try {
        await onSubmit(body);
      } catch (err) {
        errors.show(err);
      }
    });
  });
  form.focusFirst = () => identifier.focus();
  return form;
}

/** A numbered set: prefix, first number, how many, and one spec for all. */
function setForm({ onSubmit }) {
  const prefix = h("input", { type: "text", name: "prefix", maxlength: 9, autocapitalize: "characters", autocomplete: "off", value: "A" });
  const first = h("input", { type: "number", name: "first", min: "0", step: "1", inputmode: "numeric", value: "1", required: true });
  const count = h("input", { type: "number", name: "count", min: "1", max: "100", step: "1", inputmode: "numeric", value: "12", required: true });
  const preview = h("p", { class: "hint set-preview", "aria-live": "polite" });
  const names = () => {
    const f = parseInt(first.value, 10);
    const n = parseInt(count.value, 10);
    if (!(f >= 0) || !(n >= 1)) return null;
    const last = f + n - 1;
    const width = Math.max(2, String(last).length);
    const name = (k) => `${prefix.value.trim()}${String(k).padStart(width, "0")}`;
    if (n <= 3) return Array.from({ length: n }, (_, i) => name(f + i)).join(", ");
    return `${name(f)}, ${name(f + 1)} … ${name(last)}`;
  };
  const showPreview = () => {
    const text = names();
    preview.textContent = text ? `Adds ${count.value} ${count.value === "1" ? "arrow" : "arrows"}: ${text}.` : "";
  };
  for (const input of [prefix, first, count]) input.addEventListener("input", showPreview);
  showPreview();
  const spec = specFields(null);
  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, "Add the set");
  const form = h(
    "form",
    { class: "arrow-form set-form" },
    errors,
    h("div", { class: "grid-3" }, field("Prefix", prefix), field("First number", first), field("How many", count)),
    preview,
    spec.el,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      errors.show(null);
      const body = spec.read({ prefix: prefix.value.trim(), first: parseInt(first.value, 10), count: parseInt(count.value, 10) }, false);
      try {
        await onSubmit(body);
      } catch (err) {
        errors.show(err);
      }
    });
  });
  return form;
}

function specLine(arrow) {
  const parts = [
    arrow.length_mm ? `${num(arrow.length_mm, 1)} mm long` : null,
    arrow.weight_grains ? `${num(arrow.weight_grains, 1)} gr` : null,
    `Ø ${num(arrow.diameter_mm, 2)} mm`,
    arrow.spine ? `spine ${arrow.spine}` : null,
  ].filter(Boolean);
  return parts.join(" · ");
}

export async function arrowsPage(ctx) {
  document.title = "Arrows · Arch Stats";
  const showRetired = ctx.query.get("retired") === "true";
  const list = h("div", { class: "arrow-list", "aria-live": "polite" });
  const toggle = h("input", { type: "checkbox", id: "show-retired", checked: showRetired });

  async function reload() {
    const arrows = await get(`/arrow${qs({ include_retired: toggle.checked ? "true" : "" })}`, { signal: ctx.signal });
    draw(arrows);
  }

  const addOne = arrowForm(null, {
    submitText: "Add arrow",
    onSubmit: async (body) => {
      const arrow = await post("/arrow", body);
      announce(`Arrow ${arrow.identifier} added.`);
      addOne.reset();
      addOne.focusFirst();
      await reload();
    },
  });
  const addSet = setForm({
    onSubmit: async (body) => {
      const made = await post("/arrow/set", body);
      announce(`${made.length} arrows added: ${made[0].identifier} to ${made[made.length - 1].identifier}.`);
      await reload();
    },
  });
  const addDetails = h("details", { class: "card add-arrow" }, h("summary", {}, "Add an arrow"), addOne);
  const setDetails = h("details", { class: "card add-set" }, h("summary", {}, "Add a numbered set (e.g. A01 … A12)"), addSet);

  function draw(arrows) {
    clear(list);
    const active = arrows.filter((a) => a.is_active);
    if (!active.length) {
      setDetails.open = true;
      list.append(
        h(
          "div",
          { class: "empty" },
          h("p", {}, h("strong", {}, "You have no arrows yet.")),
          h(
            "p",
            {},
            "Add each arrow you shoot with and give it a short identifier written on the shaft (A01, A02…). ",
            "Then every shot can tell which arrow it was, and Arch Stats can spot an arrow that flies differently.",
          ),
        ),
      );
    }
    if (!arrows.length) return;
    list.append(h("ul", { class: "arrow-cards", "aria-label": "Your arrows" }, arrows.map(card)));
  }

  function card(arrow) {
    const editBox = h("div", { class: "edit-box", hidden: true });
    const edit = h("button", { type: "button", "aria-expanded": "false" }, "Edit");
    const historyLink = h("a", { class: "button", href: `/app/history?arrow=${arrow.id}` }, "History");
    const retire = h("button", { type: "button" }, arrow.is_active ? "Retire" : "Bring back");
    const rowErrors = errorSlot();
    edit.addEventListener("click", () => {
      const open = editBox.hidden;
      editBox.hidden = !open;
      edit.setAttribute("aria-expanded", String(open));
      if (open) {
        const form = arrowForm(arrow, {
          submitText: "Save",
          onSubmit: async (body) => {
            await patch(`/arrow/${arrow.id}`, body);
            announce(`Arrow ${body.identifier} saved.`);
            await reload();
          },
          onCancel: () => {
            editBox.hidden = true;
            edit.setAttribute("aria-expanded", "false");
            edit.focus();
          },
        });
        clear(editBox).append(form);
        form.focusFirst();
      }
    });
    retire.addEventListener("click", () =>
      busy(retire, async () => {
        rowErrors.show(null);
        try {
          await patch(`/arrow/${arrow.id}`, { is_active: !arrow.is_active });
          announce(arrow.is_active ? `Arrow ${arrow.identifier} retired; its history is kept.` : `Arrow ${arrow.identifier} is back.`);
          await reload();
        } catch (err) {
          rowErrors.show(err);
        }
      }),
    );
    return h(
      "li",
      { class: `arrow-card ${arrow.is_active ? "" : "retired"}`.trim(), dataset: { arrowId: arrow.id } },
      h(
        "div",
        { class: "arrow-head" },
        h("span", { class: "arrow-id" }, arrow.identifier),
        arrow.is_active ? null : h("span", { class: "badge" }, "retired"),
        arrow.is_programmed ? h("span", { class: "badge ok", title: "ID tag programmed" }, "tag") : null,
        h("span", { class: "arrow-spec" }, specLine(arrow)),
      ),
      h("div", { class: "row-actions" }, edit, historyLink, retire),
      rowErrors,
      editBox,
    );
  }

  toggle.addEventListener("change", () => {
    history.replaceState(null, "", toggle.checked ? "?retired=true" : location.pathname);
    reload();
  });

  ctx.main.append(
    h("h1", {}, "Arrows"),
    setDetails,
    addDetails,
    h("div", { class: "check" }, toggle, h("label", { for: "show-retired" }, "Show retired arrows")),
    list,
  );
  await reload();
}
