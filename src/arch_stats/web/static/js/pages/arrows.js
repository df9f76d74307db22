// Arrows: list, add, edit, retire (a retired arrow keeps its history) and bring back.

import { get, patch, post, qs } from "../api.js";
import { announce, busy, clear, errorSlot, field, h } from "../dom.js";
import { num } from "../format.js";

const NUMBERS = [
  // name, label, hint, step, inputmode
  ["length_mm", "Length (mm)", null, "0.5"],
  ["weight_grains", "Weight (grains)", null, "0.1"],
  ["diameter_mm", "Shaft diameter (mm)", "For line-cutters: half of it is added to the ring.", "0.01"],
  ["spine", "Spine", null, "1"],
  ["label_position_mm", "ID tag position (mm from the nock)", null, "0.5"],
];

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
  const inputs = {};
  const numberFields = NUMBERS.map(([name, label, hint, step]) => {
    const value = arrow ? arrow[name] : name === "diameter_mm" ? 5.5 : "";
    inputs[name] = h("input", { type: "number", name, step, min: "0", inputmode: "decimal", value: value ?? "" });
    return field(label, inputs[name], hint);
  });
  const programmed = h("input", { type: "checkbox", name: "is_programmed", checked: arrow ? arrow.is_programmed : false });
  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, submitText);
  const form = h(
    "form",
    { class: "arrow-form" },
    errors,
    field("Identifier", identifier, "Short label written on the shaft, e.g. A07 (up to 10 characters)."),
    h("div", { class: "grid-3" }, numberFields),
    h("div", { class: "check" }, programmed, h("label", { for: (programmed.id = `p-${Math.random().toString(36).slice(2)}`) }, "ID tag programmed")),
    h(
      "div",
      { class: "actions" },
      submit,
      onCancel ? h("button", { type: "button", onclick: onCancel }, "Cancel") : null,
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      errors.show(null);
      const body = { identifier: identifier.value.trim(), is_programmed: programmed.checked };
      for (const [name] of NUMBERS) {
        const raw = inputs[name].value;
        if (raw === "") {
          if (arrow && name !== "diameter_mm") body[name] = null;
        } else {
          body[name] = name === "spine" ? parseInt(raw, 10) : Number(raw);
        }
      }
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

export async function arrowsPage(ctx) {
  document.title = "Arrows · Arch Stats";
  const showRetired = ctx.query.get("retired") === "true";
  const list = h("div", { class: "arrow-list", "aria-live": "polite" });
  const addDetails = h("details", { class: "card add-arrow" });
  const toggle = h("input", { type: "checkbox", id: "show-retired", checked: showRetired });

  async function reload() {
    const arrows = await get(`/arrow${qs({ include_retired: toggle.checked ? "true" : "" })}`, { signal: ctx.signal });
    draw(arrows);
  }

  const addForm = arrowForm(null, {
    submitText: "Add arrow",
    onSubmit: async (body) => {
      const arrow = await post("/arrow", body);
      announce(`Arrow ${arrow.identifier} added.`);
      addForm.reset();
      addForm.focusFirst();
      await reload();
    },
  });
  addDetails.append(h("summary", {}, "Add an arrow"), addForm);

  function draw(arrows) {
    clear(list);
    const active = arrows.filter((a) => a.is_active);
    if (!active.length) {
      addDetails.open = true;
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
    const table = h(
      "table",
      { class: "table arrows" },
      h("caption", { class: "visually-hidden" }, "Your arrows"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Arrow"),
          h("th", { scope: "col", class: "hide-narrow" }, "Length"),
          h("th", { scope: "col", class: "hide-narrow" }, "Weight"),
          h("th", { scope: "col" }, "Ø"),
          h("th", { scope: "col", class: "hide-narrow" }, "Spine"),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
        ),
      ),
    );
    const body = h("tbody");
    for (const arrow of arrows) body.append(...row(arrow));
    table.append(body);
    list.append(table);
  }

  function row(arrow) {
    const tr = h(
      "tr",
      { class: arrow.is_active ? "" : "retired", dataset: { arrowId: arrow.id } },
      h(
        "th",
        { scope: "row" },
        h("span", { class: "arrow-id" }, arrow.identifier),
        arrow.is_active ? null : h("span", { class: "badge" }, "retired"),
        arrow.is_programmed ? h("span", { class: "badge ok", title: "ID tag programmed" }, "tag") : null,
      ),
      h("td", { class: "hide-narrow" }, arrow.length_mm ? `${num(arrow.length_mm, 1)} mm` : "—"),
      h("td", { class: "hide-narrow" }, arrow.weight_grains ? `${num(arrow.weight_grains, 1)} gr` : "—"),
      h("td", {}, `${num(arrow.diameter_mm, 2)} mm`),
      h("td", { class: "hide-narrow" }, arrow.spine ?? "—"),
    );
    const editRow = h("tr", { class: "edit-row", hidden: true });
    const edit = h("button", { type: "button", "aria-expanded": "false" }, "Edit");
    const historyLink = h("a", { class: "button", href: `/app/history?arrow=${arrow.id}` }, "History");
    const retire = h("button", { type: "button" }, arrow.is_active ? "Retire" : "Bring back");
    const rowErrors = errorSlot();
    edit.addEventListener("click", () => {
      const open = editRow.hidden;
      editRow.hidden = !open;
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
            editRow.hidden = true;
            edit.setAttribute("aria-expanded", "false");
            edit.focus();
          },
        });
        clear(editRow).append(h("td", { colspan: "6" }, form));
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
    tr.append(h("td", { class: "row-actions" }, edit, historyLink, retire, rowErrors));
    return [tr, editRow];
  }

  toggle.addEventListener("change", () => {
    history.replaceState(null, "", toggle.checked ? "?retired=true" : location.pathname);
    reload();
  });

  ctx.main.append(
    h("h1", {}, "Arrows"),
    addDetails,
    h("div", { class: "check" }, toggle, h("label", { for: "show-retired" }, "Show retired arrows")),
    list,
  );
  await reload();
}
