// Equipment: bows (each change of setup is a new version), sight marks with their fitted
// curve, arrow sets (numbered arrows made in one step), two sets compared, arrows to cull;
// and a session's equipment, tuning groups (e.g. bare shafts and fletched) and sight correction.

import { allShots, api, get, patch, post } from "../api.js";
import { announce, busy, clear, errorSlot, field, h, s, select } from "../dom.js";
import { xyChart } from "../charts.js";
import { metres, num } from "../format.js";

const put = (path, body) => api("PUT", path, body);
const BOWSTYLES = ["recurve", "compound", "barebow", "longbow", "traditional", "flatbow"];
const BOW_NUMBERS = [
  // name, label, step
  ["draw_weight_lb", "Draw weight on the fingers (lb)", "0.5"],
  ["brace_height_mm", "Brace height (mm)", "0.5"],
  ["tiller_top_mm", "Tiller, top (mm)", "0.5"],
  ["tiller_bottom_mm", "Tiller, bottom (mm)", "0.5"],
  ["nocking_point_mm", "Nocking point (mm above square)", "0.5"],
  ["sight_radius_mm", "Sight radius (mm, eye to aperture)", "1"],
];
const BOW_TEXTS = [
  ["riser", "Riser"],
  ["limbs", "Limbs"],
  ["plunger", "Plunger (spring, setting)"],
  ["sight", "Sight"],
];

function mmText(value, unit = "mm") {
  return value === null || value === undefined ? "—" : `${num(value, 1)} ${unit}`;
}

/** The fields of a bow's setup, filled from `bow` (a version) or empty. */
function bowForm(version, { name, submitText, onSubmit }) {
  const inputs = {};
  const nameInput = name === undefined ? null : h("input", { type: "text", name: "name", required: true, maxlength: 100, value: name });
  inputs.bowstyle = select("bowstyle", BOWSTYLES, version ? version.bowstyle : "recurve");
  inputs.handedness = select("handedness", [["right", "Right-handed"], ["left", "Left-handed"]], version ? version.handedness : "right");
  const texts = BOW_TEXTS.map(([key, label]) => {
    inputs[key] = h("input", { type: "text", name: key, maxlength: 100, value: version ? version[key] : "" });
    return field(label, inputs[key]);
  });
  const numbers = BOW_NUMBERS.map(([key, label, step]) => {
    inputs[key] = h("input", { type: "number", name: key, step, inputmode: "decimal", value: version && version[key] !== null ? version[key] : "" });
    return field(label, inputs[key]);
  });
  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, submitText);
  const form = h(
    "form",
    { class: "bow-form" },
    errors,
    nameInput ? field("Name", nameInput) : null,
    h("div", { class: "grid-3" }, field("Bowstyle", inputs.bowstyle), field("Hand", inputs.handedness)),
    h("div", { class: "grid-3" }, texts, numbers),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      errors.show(null);
      const body = { bowstyle: inputs.bowstyle.value, handedness: inputs.handedness.value };
      if (nameInput) body.name = nameInput.value.trim();
      for (const [key] of BOW_TEXTS) body[key] = inputs[key].value.trim();
      for (const [key] of BOW_NUMBERS) body[key] = inputs[key].value === "" ? null : Number(inputs[key].value);
      try {
        await onSubmit(body);
      } catch (err) {
        errors.show(err);
      }
    });
  });
  return form;
}

function setupList(v) {
  const rows = [
    ["Bowstyle", `${v.bowstyle}, ${v.handedness}-handed`],
    ["Riser", v.riser || "—"],
    ["Limbs", v.limbs || "—"],
    ["Draw weight", mmText(v.draw_weight_lb, "lb")],
    ["Brace height", mmText(v.brace_height_mm)],
    ["Tiller (top / bottom)", `${mmText(v.tiller_top_mm)} / ${mmText(v.tiller_bottom_mm)}`],
    ["Nocking point", mmText(v.nocking_point_mm)],
    ["Plunger", v.plunger || "—"],
    ["Sight", v.sight || "—"],
    ["Sight radius", mmText(v.sight_radius_mm)],
  ];
  return h("dl", { class: "spec-list" }, rows.flatMap(([k, value]) => [h("dt", {}, k), h("dd", {}, value)]));
}

function setSpec(set) {
  return [set.shaft, set.spine ? `spine ${set.spine}` : null, set.length_mm ? `${num(set.length_mm, 1)} mm` : null,
    set.point_grains ? `${num(set.point_grains)} gr point` : null, set.fletching, set.nock].filter(Boolean).join(" · ");
}

function setForm({ onSubmit }) {
  const inputs = {
    name: h("input", { type: "text", name: "name", required: true, maxlength: 100 }),
    shaft: h("input", { type: "text", name: "shaft", maxlength: 100 }),
    spine: h("input", { type: "number", name: "spine", min: "1", step: "1", inputmode: "numeric" }),
    length_mm: h("input", { type: "number", name: "length_mm", min: "1", step: "0.5", inputmode: "decimal" }),
    point_grains: h("input", { type: "number", name: "point_grains", min: "1", step: "1", inputmode: "numeric" }),
    fletching: h("input", { type: "text", name: "fletching", maxlength: 100 }),
    nock: h("input", { type: "text", name: "nock", maxlength: 100 }),
    prefix: h("input", { type: "text", name: "prefix", maxlength: 9, value: "A", autocapitalize: "characters" }),
    count: h("input", { type: "number", name: "count", min: "0", max: "100", step: "1", value: "12", inputmode: "numeric" }),
  };
  const errors = errorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, "Add the set");
  const form = h(
    "form",
    { class: "set-form" },
    errors,
    field("Name", inputs.name),
    h("div", { class: "grid-3" },
      field("Shaft", inputs.shaft), field("Spine", inputs.spine), field("Length (mm)", inputs.length_mm),
      field("Point (grains)", inputs.point_grains), field("Fletching", inputs.fletching), field("Nock", inputs.nock),
      field("Arrow prefix", inputs.prefix), field("Numbered arrows", inputs.count, "0: add arrows you have later.")),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      errors.show(null);
      const body = { name: inputs.name.value.trim(), shaft: inputs.shaft.value.trim(), fletching: inputs.fletching.value.trim(), nock: inputs.nock.value.trim() };
      for (const key of ["spine", "length_mm", "point_grains"]) {
        if (inputs[key].value !== "") body[key] = key === "spine" ? parseInt(inputs[key].value, 10) : Number(inputs[key].value);
      }
      const count = parseInt(inputs.count.value, 10);
      if (count > 0) body.arrows = { prefix: inputs.prefix.value.trim(), count };
      try {
        await onSubmit(body);
        form.reset();
      } catch (err) {
        errors.show(err);
      }
    });
  });
  return form;
}

function cullTable(result) {
  if (!result.arrows.length) return h("p", { class: "hint" }, "No arrow of this set has been shot yet.");
  const flagged = result.arrows.filter((a) => a.flagged);
  return h(
    "div",
    { class: "cull" },
    h("p", { class: flagged.length ? "advice" : "" },
      flagged.length
        ? `Check ${flagged.map((a) => a.identifier).join(", ")}: ${flagged.length === 1 ? "it groups" : "they group"} away from the others over your sessions.`
        : "No arrow groups away from the others more than chance explains."),
    h("div", { class: "table-scroll" }, h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Arrow", "Impacts", "Off by (mm/m)", "p (adjusted)"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, result.arrows.map((a) => h("tr", { class: a.flagged ? "flagged" : "" },
        h("th", { scope: "row" }, a.identifier, a.flagged ? h("span", { class: "badge warn" }, " check") : null),
        h("td", {}, String(a.impacts)),
        h("td", {}, a.offset_x_mrad === null ? "—" : `${num(a.offset_x_mrad, 2)}, ${num(a.offset_y_mrad, 2)}`),
        h("td", {}, a.p_adjusted === null ? "—" : num(a.p_adjusted, 3))))))),
  );
}

function comparisonText(c) {
  if (c.p_value === null) return "Not enough shots with positions in both sets to compare them.";
  const size = (side) => `${num(c[side].mean_radius_mrad, 2)} mm/m over ${c[side].impacts} arrows in ${c[side].groups} groups`;
  const verdict = c.tighter
    ? `${c.tighter === "a" ? c.a_name : c.b_name} groups tighter (p = ${num(c.p_value, 3)}).`
    : `No real difference between them (p = ${num(c.p_value, 3)}).`;
  return `${c.a_name}: ${size("a")}; ${c.b_name}: ${size("b")}. ${verdict}`;
}

export async function equipmentPage(ctx) {
  document.title = "Equipment · Arch Stats";
  ctx.main.dataset.page = "equipment";
  const bowsBox = h("div", { "aria-live": "polite" });
  const setsBox = h("div", { "aria-live": "polite" });
  const compareBox = h("div", { class: "compare" });

  async function reload() {
    const [bows, sets] = await Promise.all([get("/bow", { signal: ctx.signal }), get("/arrow-set", { signal: ctx.signal })]);
    clear(bowsBox).append(
      bows.length
        ? h("ul", { class: "equipment-cards", "aria-label": "Your bows" }, bows.map((b) =>
          h("li", { dataset: { bowId: b.id } },
            h("h3", {}, h("a", { href: `/app/equipment/bows/${b.id}` }, b.name)),
            h("p", { class: "hint" }, `Version ${b.current.version} · ${b.current.bowstyle}, ${b.current.handedness}-handed · ${mmText(b.current.draw_weight_lb, "lb")}`))))
        : h("p", {}, "No bow yet: add the one you shoot."),
    );
    clear(setsBox).append(
      sets.length
        ? h("ul", { class: "equipment-cards", "aria-label": "Your arrow sets" }, sets.map((set) => setCard(set)))
        : h("p", {}, "No arrow set yet."),
    );
    drawCompare(sets);
  }

  function setCard(set) {
    const out = h("div", {});
    const check = h("button", { type: "button" }, "Check the arrows");
    check.addEventListener("click", () => busy(check, async () => clear(out).append(cullTable(await get(`/arrow-set/${set.id}/culling`)))));
    return h("li", { dataset: { setId: set.id } },
      h("h3", {}, set.name),
      h("p", { class: "hint" }, setSpec(set) || "—"),
      h("p", {}, set.arrows.length ? `${set.arrows.length} arrows: ${set.arrows.map((a) => a.identifier).join(" ")}` : "No arrows in the set."),
      h("div", { class: "actions" }, check),
      out);
  }

  function drawCompare(sets) {
    clear(compareBox);
    if (sets.length < 2) {
      compareBox.append(h("p", { class: "hint" }, "With two sets you can compare how tightly each groups."));
      return;
    }
    const options = sets.map((x) => [x.id, x.name]);
    const a = select("a", options, sets[0].id);
    const b = select("b", options, sets[1].id);
    const result = h("p", { class: "compare-result", "aria-live": "polite" });
    const errors = errorSlot();
    const go = h("button", { type: "button", class: "primary" }, "Compare");
    go.addEventListener("click", () => busy(go, async () => {
      errors.show(null);
      try {
        result.textContent = comparisonText(await get(`/arrow-set/${a.value}/compare/${b.value}`));
      } catch (err) {
        errors.show(err);
      }
    }));
    compareBox.append(errors, h("div", { class: "grid-3" }, field("Set", a), field("Against", b)), h("div", { class: "actions" }, go), result);
  }

  const addBow = bowForm(null, {
    name: "",
    submitText: "Add the bow",
    onSubmit: async (body) => {
      const bow = await post("/bow", body);
      announce(`Bow ${bow.name} added.`);
      ctx.navigate(`/app/equipment/bows/${bow.id}`);
    },
  });
  const addSet = setForm({
    onSubmit: async (body) => {
      const set = await post("/arrow-set", body);
      announce(`Arrow set ${set.name} added with ${set.arrows.length} arrows.`);
      await reload();
    },
  });
  ctx.main.append(
    h("h1", {}, "Equipment"),
    h("section", { class: "card", "aria-labelledby": "bows-h" }, h("h2", { id: "bows-h" }, "Bows"), bowsBox,
      h("details", { class: "add-bow" }, h("summary", {}, "Add a bow"), addBow)),
    h("section", { class: "card", "aria-labelledby": "sets-h" }, h("h2", { id: "sets-h" }, "Arrow sets"), setsBox,
      h("details", { class: "add-set" }, h("summary", {}, "Add an arrow set"), addSet)),
    h("section", { class: "card", "aria-labelledby": "compare-h" }, h("h2", { id: "compare-h" }, "Compare two sets"), compareBox),
  );
  await reload();
}

function marksChart(data, width) {
  const points = data.marks.map((m) => ({ x: m.distance_m, y: m.mark, label: `${metres(m.distance_m)}: ${num(m.mark, 2)}` }));
  if (data.prediction) {
    const p = data.prediction;
    points.push({ x: p.distance_m, y: p.mark, cls: "predicted", label: `${metres(p.distance_m)}: ${num(p.mark, 2)} ± ${num(p.uncertainty, 2)} (predicted)` });
  }
  return xyChart({
    points,
    line: data.curve.map((c) => ({ x: c.distance_m, y: c.mark })),
    band: data.curve.map((c) => ({ x: c.distance_m, lo: c.low, hi: c.high })),
    title: `Sight marks against distance${data.fit ? ", with the fitted curve and its 95 % prediction band" : ""}`,
    xLabel: "Distance (m)",
    yLabel: "Sight mark",
    width,
  });
}

export async function bowPage(ctx) {
  const [id] = ctx.params;
  ctx.main.dataset.page = "bow";
  const heading = h("h1", {});
  const setupBox = h("div", {});
  const versionsBox = h("div", {});
  const marksBox = h("div", { class: "marks" });
  const predictInput = h("input", { type: "number", name: "predict", min: "1", max: "200", step: "1", inputmode: "numeric", value: ctx.query.get("predict") || "" });
  let bow = null;

  async function reloadBow() {
    bow = await get(`/bow/${id}`, { signal: ctx.signal });
    document.title = `${bow.name} · Arch Stats`;
    heading.textContent = bow.name;
    clear(setupBox).append(h("p", { class: "hint" }, `Version ${bow.current.version}, since ${new Date(bow.current.created_at).toLocaleDateString()}`), setupList(bow.current));
    const edit = h("details", { class: "edit-bow" }, h("summary", {}, "Change the setup"),
      bowForm(bow.current, { submitText: "Save as a new version", onSubmit: async (body) => {
        await patch(`/bow/${id}`, body);
        announce("Saved: sessions shot before keep the setup they were shot with.");
        await reloadBow();
      } }));
    setupBox.append(edit);
    clear(versionsBox).append(h("ol", { reversed: true }, bow.versions.map((v) =>
      h("li", {}, `Version ${v.version} (${new Date(v.created_at).toLocaleDateString()}): ${mmText(v.draw_weight_lb, "lb")}, brace ${mmText(v.brace_height_mm)}, nocking point ${mmText(v.nocking_point_mm)}`))));
  }

  async function reloadMarks() {
    const predict = predictInput.value ? `?predict=${encodeURIComponent(predictInput.value)}` : "";
    const data = await get(`/bow/${id}/sight-mark${predict}`, { signal: ctx.signal });
    clear(marksBox);
    marksBox.append(marksChart(data, marksBox.clientWidth || ctx.main.clientWidth - 40));
    if (data.prediction) {
      const p = data.prediction;
      marksBox.append(h("p", { class: "prediction", "aria-live": "polite" },
        `At ${metres(p.distance_m)}: mark ${num(p.mark, 2)} ± ${num(p.uncertainty, 2)} (95 %: ${num(p.low, 2)} to ${num(p.high, 2)})${p.extrapolated ? ", beyond the distances marked: shoot it to confirm" : ""}.`));
    } else if (!data.fit) {
      marksBox.append(h("p", { class: "hint" }, "Marks at 3 distances or more give a curve and predict the others."));
    }
    if (data.marks.length) {
      marksBox.append(h("div", { class: "table-scroll" }, h("table", { class: "table marks-table" },
        h("thead", {}, h("tr", {}, ["Distance", "Mark", "From", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, data.marks.map((m) => {
          const remove = h("button", { type: "button", "aria-label": `Delete the mark at ${metres(m.distance_m)}` }, "Delete");
          remove.addEventListener("click", () => busy(remove, async () => {
            await api("DELETE", `/sight-mark/${m.id}`);
            announce(`Mark at ${metres(m.distance_m)} deleted.`);
            await reloadMarks();
          }));
          return h("tr", {}, h("th", { scope: "row" }, metres(m.distance_m)), h("td", {}, num(m.mark, 2)),
            h("td", {}, m.session_id ? h("a", { href: `/app/sessions/${m.session_id}` }, "a session") : "entered"), h("td", {}, remove));
        })))));
    }
  }

  const distance = h("input", { type: "number", name: "distance_m", min: "1", max: "200", step: "any", inputmode: "decimal", required: true });
  const mark = h("input", { type: "number", name: "mark", step: "any", inputmode: "decimal", required: true });
  const markErrors = errorSlot();
  const addMark = h("button", { type: "submit", class: "primary" }, "Save the mark");
  const markForm = h("form", { class: "mark-form" }, markErrors,
    h("div", { class: "grid-3" }, field("Distance (m)", distance), field("Mark", mark)), h("div", { class: "actions" }, addMark));
  markForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(addMark, async () => {
      markErrors.show(null);
      try {
        await post(`/bow/${id}/sight-mark`, { distance_m: Number(distance.value), mark: Number(mark.value) });
        announce(`Mark for ${distance.value} m saved.`);
        markForm.reset();
        await reloadMarks();
      } catch (err) {
        markErrors.show(err);
      }
    });
  });
  const predictButton = h("button", { type: "button" }, "Predict");
  predictButton.addEventListener("click", () => busy(predictButton, reloadMarks));

  ctx.main.append(
    h("p", {}, h("a", { href: "/app/equipment" }, "← Equipment")),
    heading,
    h("section", { class: "card", "aria-labelledby": "setup-h" }, h("h2", { id: "setup-h" }, "Setup"), setupBox),
    h("section", { class: "card", "aria-labelledby": "marks-h" }, h("h2", { id: "marks-h" }, "Sight marks"), marksBox,
      h("div", { class: "grid-3" }, field("Predict the mark at (m)", predictInput)), h("div", { class: "actions" }, predictButton), markForm),
    h("section", { class: "card", "aria-labelledby": "versions-h" }, h("h2", { id: "versions-h" }, "Versions"), versionsBox),
  );
  await reloadBow();
  await reloadMarks();
}

/** Both groups on one plot: each arrow, each group's centre (a ring), the face centre. */
function groupsPlot(rows, labels, width) {
  const W = Math.min(360, width || 360);
  const all = rows.flatMap((r) => r.points);
  const reach = Math.max(40, ...all.map((p) => Math.max(Math.abs(p.x), Math.abs(p.y)))) * 1.15;
  const X = (x) => W / 2 + (x / reach) * (W / 2);
  const Y = (y) => W / 2 - (y / reach) * (W / 2);
  const svg = s("svg", { class: "chart groups", viewBox: `0 0 ${W} ${W}`, role: "img", "aria-label": `Arrows of ${labels.a} and ${labels.b} from the face centre` },
    s("line", { class: "grid", x1: 0, x2: W, y1: W / 2, y2: W / 2 }), s("line", { class: "grid", x1: W / 2, x2: W / 2, y1: 0, y2: W }));
  for (const r of rows) {
    for (const p of r.points) svg.append(s("circle", { class: `pt ${r.cls}`, cx: X(p.x), cy: Y(p.y), r: 5 }));
    if (r.centre) svg.append(s("circle", { class: `centre ${r.cls}`, cx: X(r.centre.x), cy: Y(r.centre.y), r: 11 }));
  }
  return svg;
}

function tuningResult(t, shots) {
  const idsA = new Set(t.arrows_a.map((a) => a.id));
  const idsB = new Set(t.arrows_b.map((a) => a.id));
  const pts = (ids) => shots.filter((x) => ids.has(x.arrow_id) && x.dx_mm !== null).map((x) => ({ x: x.dx_mm, y: x.dy_mm }));
  const centre = (g) => (g.centre_x_mm === null ? null : { x: g.centre_x_mm, y: g.centre_y_mm });
  const row = (label, g) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, String(g.impacts)),
    h("td", {}, g.centre_x_mm === null ? "—" : `${num(g.centre_x_mm, 0)}, ${num(g.centre_y_mm, 0)}`),
    h("td", {}, g.sigma_x_mm === null ? "—" : `${num(g.sigma_x_mm, 0)} × ${num(g.sigma_y_mm, 0)}`));
  const shift = t.shift_x_mm === null
    ? "Too few arrows in a group to compare them (2 at least, 3 for the test)."
    : `${t.label_b} from ${t.label_a}: ${num(t.shift_x_mm, 0)} ± ${num(t.ci_x_mm, 0)} mm across, ${num(t.shift_y_mm, 0)} ± ${num(t.ci_y_mm, 0)} mm up (95 %)${t.p_value === null ? "" : `; Hotelling p ${t.p_value < 0.0001 ? "< 0.0001" : `= ${num(t.p_value, 4)}`}`}.`;
  let advice;
  if (!t.advice_given) advice = [h("p", {}, "No bare-shaft advice for a compound bow: its rules (rest and release aid) differ.")];
  else if (t.advice.length) advice = t.advice.map((a) => h("p", { class: "advice" }, a));
  else advice = [h("p", {}, "No change: the difference is within its uncertainty.")];
  return h("div", { class: "tuning-result" },
    groupsPlot([{ cls: "group-a", points: pts(idsA), centre: centre(t.a) }, { cls: "group-b", points: pts(idsB), centre: centre(t.b) }], { a: t.label_a, b: t.label_b }),
    h("p", { class: "hint" }, `${t.label_a}: dark dots; ${t.label_b}: amber dots; rings: the groups' centres.`),
    h("div", { class: "table-scroll" }, h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Group", "Arrows", "Centre (mm)", "σ (mm)"].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, row(t.label_a, t.a), row(t.label_b, t.b)))),
    h("p", { class: "shift" }, shift),
    h("div", { class: "advice-list", "aria-live": "polite" }, advice),
    h("p", { class: "hint" }, `For a ${t.handedness}-handed ${t.bowstyle}${t.from_bow ? "" : " (assumed: record the bow)"}.`));
}

export async function tuningPage(ctx) {
  const [id] = ctx.params;
  document.title = "Equipment and tuning · Arch Stats";
  ctx.main.dataset.page = "tuning";
  const [equipment, bows, sets, arrows, correction] = await Promise.all([
    get(`/session/${id}/equipment`, { signal: ctx.signal }),
    get("/bow", { signal: ctx.signal }),
    get("/arrow-set", { signal: ctx.signal }),
    get("/arrow", { signal: ctx.signal }),
    get(`/session/${id}/sight-correction`, { signal: ctx.signal }),
  ]);
  const shots = await allShots(id, { signal: ctx.signal });
  const tuning = await get(`/session/${id}/tuning`, { signal: ctx.signal }).catch(() => null);

  const bowSelect = select("bow_id", [["", "—"], ...bows.map((b) => [b.id, b.name])], equipment.bow_id || "");
  const setSelect = select("arrow_set_id", [["", "—"], ...sets.map((x) => [x.id, x.name])], equipment.arrow_set_id || "");
  const eqErrors = errorSlot();
  const eqNote = h("p", { class: "hint" }, equipment.bow_version ? `Shot with ${equipment.bow_name}, version ${equipment.bow_version.version}.` : "No bow recorded.");
  const saveEq = h("button", { type: "submit", class: "primary" }, "Save");
  const eqForm = h("form", {}, eqErrors, h("div", { class: "grid-3" }, field("Bow", bowSelect), field("Arrow set", setSelect)), eqNote, h("div", { class: "actions" }, saveEq));
  eqForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(saveEq, async () => {
      eqErrors.show(null);
      try {
        await put(`/session/${id}/equipment`, { bow_id: bowSelect.value || null, arrow_set_id: setSelect.value || null });
        announce("Equipment saved.");
        ctx.navigate(location.pathname, { replace: true });
      } catch (err) {
        eqErrors.show(err);
      }
    });
  });

  // Each arrow shot in the session: group a, b, or neither.
  const shotArrows = new Set(shots.map((x) => x.arrow_id).filter(Boolean));
  const inA = new Set(tuning ? tuning.arrows_a.map((a) => a.id) : []);
  const inB = new Set(tuning ? tuning.arrows_b.map((a) => a.id) : []);
  const labelA = h("input", { type: "text", name: "label_a", maxlength: 40, value: tuning ? tuning.label_a : "Fletched" });
  const labelB = h("input", { type: "text", name: "label_b", maxlength: 40, value: tuning ? tuning.label_b : "Bare shafts" });
  const picks = arrows.filter((a) => shotArrows.has(a.id)).map((a) => {
    const name = `g-${a.id}`;
    const choice = (value, text, checked) => {
      const input = h("input", { type: "radio", name, value, checked });
      return h("label", {}, input, text);
    };
    const box = h("fieldset", { dataset: { arrowId: a.id } }, h("legend", {}, a.identifier),
      choice("a", "A", inA.has(a.id)), choice("b", "B", inB.has(a.id)), choice("", "—", !inA.has(a.id) && !inB.has(a.id)));
    box.read = () => box.querySelector("input:checked").value;
    box.arrowId = a.id;
    return box;
  });
  const groupErrors = errorSlot();
  const compare = h("button", { type: "submit", class: "primary" }, "Compare the groups");
  const result = h("div", { class: "tuning-box" }, tuning ? tuningResult(tuning, shots) : null);
  const groupForm = h("form", { class: "tuning-form" }, groupErrors,
    h("div", { class: "grid-3" }, field("Group A", labelA), field("Group B", labelB)),
    picks.length ? h("div", { class: "group-pick" }, picks) : h("p", {}, "No arrow with an identifier was shot in this session."),
    h("div", { class: "actions" }, compare));
  groupForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(compare, async () => {
      groupErrors.show(null);
      const body = { label_a: labelA.value.trim(), label_b: labelB.value.trim(), arrows_a: [], arrows_b: [] };
      for (const p of picks) {
        const g = p.read();
        if (g) body[`arrows_${g}`].push(p.arrowId);
      }
      try {
        const t = await put(`/session/${id}/tuning`, body);
        clear(result).append(tuningResult(t, shots));
        announce(t.advice.length ? t.advice.join(" ") : "Groups compared.");
      } catch (err) {
        groupErrors.show(err);
      }
    });
  });

  const corrections = correction.distances.length
    ? correction.distances.map((c) => h("p", { class: c.move_x_mm !== null || c.move_y_mm !== null ? "advice" : "" },
      `${metres(c.distance_m)}, ${c.impacts} arrows: centre ${num(c.centre_x_mm ?? 0, 0)}, ${num(c.centre_y_mm ?? 0, 0)} mm (± ${num(c.ci_x_mm ?? 0, 0)}, ± ${num(c.ci_y_mm ?? 0, 0)}). ${c.advice}`))
    : [h("p", {}, "No arrows with a position yet.")];

  // The mark shot with, saved as the bow's mark for that distance, confirmed by this session.
  const confirmForms = equipment.bow_id
    ? correction.distances.map((c) => {
      const mark = h("input", { type: "number", name: "mark", step: "any", inputmode: "decimal", required: true });
      const errors = errorSlot();
      const save = h("button", { type: "submit" }, `Save as the mark for ${metres(c.distance_m)}`);
      const form = h("form", { class: "confirm-mark", dataset: { distance: c.distance_m } }, errors,
        field(`Sight mark shot with at ${metres(c.distance_m)}`, mark), h("div", { class: "actions" }, save));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(save, async () => {
          errors.show(null);
          try {
            await post(`/bow/${equipment.bow_id}/sight-mark`, { distance_m: c.distance_m, mark: Number(mark.value), session_id: id });
            announce(`${equipment.bow_name}: mark ${mark.value} for ${metres(c.distance_m)} saved from this session.`);
          } catch (err) {
            errors.show(err);
          }
        });
      });
      return form;
    })
    : [];

  ctx.main.append(
    h("p", {}, h("a", { href: `/app/sessions/${id}` }, "← The session")),
    h("h1", {}, "Equipment and tuning"),
    h("section", { class: "card", "aria-labelledby": "eq-h" }, h("h2", { id: "eq-h" }, "Shot with"), eqForm),
    h("section", { class: "card", "aria-labelledby": "sight-h" }, h("h2", { id: "sight-h" }, "Sight correction"),
      correction.group ? h("p", { class: "hint" }, `From the ${correction.group} group only.`) : null, corrections, confirmForms),
    h("section", { class: "card", "aria-labelledby": "tune-h" }, h("h2", { id: "tune-h" }, "Tuning: two groups"), groupForm, result),
  );
}
