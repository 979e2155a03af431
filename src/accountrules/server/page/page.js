// The page of `accountrules serve`: a form built from the case's JSON Schema (GET v1/schema/case), the /v1 API
// behind it, and the determination drawn from its JSON and the determination's schema. Every value from a case or
// a determination is shown as text (textContent), never as markup.
"use strict";

const state = {
  labels: {}, // vocabulary value → [中文, English]
  forms: {}, // form number → [中文, English]
  meanings: [], // per enumeration: value → what it means in practice
  caseDefs: {},
  determinationSchema: null,
  form: null, // the root widget of the case form
  dropped: [], // fields of a loaded case that the form does not know
  determination: "", // the determination's bytes, as the API answered them
};

const $ = (id) => document.getElementById(id);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) node.append(child);
  return node;
}

// ---------------------------------------------------------------------------------------------------------------
// The API

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const token = $("token").value.trim();
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) throw new Error("需要令牌 A token is needed: enter the service's token above");
  return response;
}

async function apiJSON(path) {
  const response = await api(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

// ---------------------------------------------------------------------------------------------------------------
// Labels: vocabulary values from GET v1/vocabulary, fields from their schema descriptions ("中文 English …")

function valueLabel(value) {
  const pair = state.labels[value];
  return pair ? `${pair[0]} ${pair[1]}` : String(value);
}

// What each value of an enumeration means: the meanings of the enumeration that holds every one of ``values``.
function meanings(values) {
  return state.meanings.find((known) => values.every((v) => v in known)) || {};
}

function fieldLabel(name, schema) {
  const description = (schema && schema.description) || "";
  const found = description.match(/^([^\x00-\x7f]\S*)\s+(.*)$/s);
  const english = name.replace(/_/g, " ");
  return found ? { zh: found[1], en: english, hint: found[2] } : { zh: "", en: english, hint: description };
}

function labelNodes(name, schema) {
  const { zh, en } = fieldLabel(name, schema);
  return zh ? [zh + " ", el("span", { class: "en" }, en)] : [en];
}

// ---------------------------------------------------------------------------------------------------------------
// The form: one widget per schema node; each has `node`, `read()` (undefined: leave the field out) and `write(v)`

function resolve(schema, defs) {
  if (schema.$ref) {
    const target = defs[schema.$ref.split("/").pop()];
    return { ...target, description: schema.description || target.description, default: schema.default };
  }
  if (schema.anyOf) {
    const others = schema.anyOf.filter((s) => s.type !== "null");
    if (others.length === 1) {
      return { ...resolve(others[0], defs), nullable: true, description: schema.description, default: schema.default };
    }
  }
  return schema;
}

const childPath = (path, key) => (path ? `${path}.${key}` : key);

function widget(schema, path, name, required) {
  const s = resolve(schema, state.caseDefs);
  if (s.type === "object" && s.properties) return objectWidget(s, path, name);
  if (s.type === "object") return mapWidget(s, path, name);
  if (s.type === "array") {
    const item = resolve(s.items, state.caseDefs);
    if (item.type === "object") return listWidget(s, item, path, name);
    if (item.enum) return choicesWidget(s, item.enum, path, name);
    return wordsWidget(s, path, name, required);
  }
  if (s.enum) return selectWidget(s, s.enum, path, name);
  if (s.type === "boolean") return s.nullable ? yesNoWidget(s, path, name) : checkboxWidget(s, path, name);
  return inputWidget(s, path, name);
}

function field(path, name, schema, control, inline = false) {
  const { hint } = fieldLabel(name, schema);
  const label = inline
    ? el("label", {}, control, " ", ...labelNodes(name, schema))
    : el("label", {}, ...labelNodes(name, schema), el("br"), control);
  return el("div", { class: "field", "data-path": path, title: hint }, label);
}

// A nested object left empty is left out (its defaults apply); the case itself and list items always exist.
function objectWidget(schema, path, name, legend, keepEmpty = false) {
  const required = new Set(schema.required || []);
  const children = Object.entries(schema.properties).map(([key, sub]) => [
    key,
    widget(sub, childPath(path, key), key, required.has(key)),
  ]);
  const node = el("fieldset", { "data-path": path });
  if (legend !== undefined || name) node.append(el("legend", {}, ...(legend !== undefined ? [legend] : labelNodes(name, schema))));
  for (const [, child] of children) node.append(child.node);
  return {
    node,
    read() {
      const value = {};
      for (const [key, child] of children) {
        const v = child.read();
        if (v !== undefined) value[key] = v;
      }
      return keepEmpty || Object.keys(value).length ? value : undefined;
    },
    write(value) {
      const given = value && typeof value === "object" ? value : {};
      for (const key of Object.keys(given)) {
        if (!(key in schema.properties)) state.dropped.push(childPath(path, key));
      }
      for (const [key, child] of children) child.write(given[key]);
    },
  };
}

function listWidget(schema, item, path, name) {
  const items = el("div");
  const add = el("button", { type: "button", class: "small" }, "添加 ", el("span", { class: "en" }, "add"));
  const node = el("fieldset", { "data-path": path }, el("legend", {}, ...labelNodes(name, schema)), items, add);
  let rows = [];
  const write = (values) => {
    items.replaceChildren();
    rows = (Array.isArray(values) ? values : []).map((value, i) => {
      const row = objectWidget(item, `${path}[${i}]`, "", `${fieldLabel("", item).zh} ${i + 1}`, true);
      const remove = el("button", { type: "button", class: "small" }, "删除 ", el("span", { class: "en" }, "remove"));
      remove.addEventListener("click", () => {
        const kept = rows.map((r) => r.read());
        kept.splice(i, 1);
        write(kept);
      });
      row.node.querySelector("legend").append(" ", remove);
      row.write(value);
      items.append(row.node);
      return row;
    });
  };
  add.addEventListener("click", () => write([...rows.map((r) => r.read()), {}]));
  return { node, read: () => rows.map((r) => r.read()), write };
}

function mapWidget(schema, path, name) {
  const values = schema.additionalProperties || Object.values(schema.patternProperties || {})[0] || {};
  const valueSchema = resolve(values, state.caseDefs);
  const items = el("div");
  const add = el("button", { type: "button", class: "small" }, "添加 ", el("span", { class: "en" }, "add"));
  const node = el("fieldset", { "data-path": path }, el("legend", {}, ...labelNodes(name, schema)), items, add);
  let rows = [];
  const entries = () => rows.map(([key, row]) => [key.value.trim(), row.read()]);
  const write = (pairs) => {
    items.replaceChildren();
    rows = pairs.map(([key, value]) => {
      const keyInput = el("input", { type: "text", value: key, "aria-label": "id" });
      keyInput.addEventListener("change", () => write(entries()));
      const row = objectWidget(valueSchema, childPath(path, key), "", "", true);
      row.node.querySelector("legend").append("编号 ", el("span", { class: "en" }, "id"), " ", keyInput);
      row.write(value);
      items.append(row.node);
      return [keyInput, row];
    });
  };
  add.addEventListener("click", () => write([...entries(), ["", {}]]));
  return {
    node,
    read: () => (rows.length ? Object.fromEntries(entries()) : undefined),
    write: (value) => write(Object.entries(value && typeof value === "object" ? value : {})),
  };
}

function choicesWidget(schema, values, path, name) {
  const boxes = values.map((v) => el("input", { type: "checkbox", value: v }));
  const meant = meanings(values);
  const choice = (box) => el("label", { title: meant[box.value] }, box, " ", valueLabel(box.value));
  const choices = el("div", { class: "choices" }, ...boxes.map(choice));
  return {
    node: field(path, name, schema, choices),
    read: () => boxes.filter((b) => b.checked).map((b) => b.value),
    write(value) {
      const chosen = new Set(Array.isArray(value) ? value : []);
      for (const box of boxes) box.checked = chosen.has(box.value);
    },
  };
}

function wordsWidget(schema, path, name, required) {
  const input = el("input", { type: "text", placeholder: "p1 p2" });
  return {
    node: field(path, name, schema, input),
    read() {
      const words = input.value.split(/\s+/).filter(Boolean);
      return words.length || required ? words : undefined;
    },
    write: (value) => (input.value = Array.isArray(value) ? value.join(" ") : ""),
  };
}

function selectWidget(schema, values, path, name) {
  const meant = meanings(values);
  const options = values.map((v) => el("option", { value: v, title: meant[v] }, valueLabel(v)));
  const select = el("select", {}, el("option", { value: "" }, "—"), ...options);
  return {
    node: field(path, name, schema, select),
    read: () => select.value || undefined,
    write: (value) => (select.value = values.includes(value) ? value : ""),
  };
}

function yesNoWidget(schema, path, name) {
  const select = el("select", {}, el("option", { value: "" }, "—"), el("option", { value: "true" }, "是 yes"), el("option", { value: "false" }, "否 no"));
  return {
    node: field(path, name, schema, select),
    read: () => (select.value === "" ? undefined : select.value === "true"),
    write: (value) => (select.value = value === true || value === false ? String(value) : ""),
  };
}

function checkboxWidget(schema, path, name) {
  const box = el("input", { type: "checkbox" });
  const fallback = schema.default === true;
  return {
    node: field(path, name, schema, box, true),
    read: () => (box.checked === fallback ? undefined : box.checked),
    write: (value) => (box.checked = typeof value === "boolean" ? value : fallback),
  };
}

function inputWidget(schema, path, name) {
  const numeric = schema.type === "integer" || schema.type === "number";
  const input = el("input", { type: numeric ? "number" : "text", step: schema.type === "number" ? "any" : undefined });
  if (schema.format === "date") input.placeholder = "YYYY-MM-DD";
  return {
    node: field(path, name, schema, input),
    read() {
      if (input.value === "") return undefined;
      return numeric ? Number(input.value) : input.value;
    },
    write: (value) => (input.value = value === undefined || value === null ? "" : String(value)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Loading a case, showing problems next to their fields

function fill(value) {
  state.dropped = [];
  state.form.write(value);
  clearProblems();
  if (state.dropped.length) say(`已略去未知字段 Unknown fields left out: ${state.dropped.join(", ")}`);
}

function say(text) {
  $("status").textContent = text;
}

function clearProblems() {
  for (const node of document.querySelectorAll("#case-form .problem")) node.remove();
  for (const node of document.querySelectorAll("#case-form .invalid")) node.classList.remove("invalid");
  $("form-problems").replaceChildren();
}

function parentPath(path) {
  return path.replace(/(\[\d+\]|\.?[^.[\]]+)$/, "");
}

function showProblems(problems, box = $("form-problems")) {
  clearProblems();
  const form = $("case-form");
  for (const problem of problems) {
    let path = problem.path;
    let target = null;
    while (path && !(target = form.querySelector(`[data-path="${CSS.escape(path)}"]`))) path = parentPath(path);
    const where = problem.line ? ` (line ${problem.line})` : "";
    const text = (target && path === problem.path ? "" : `${problem.path}: `) + problem.message + where;
    if (target) {
      target.classList.add("invalid");
      const note = el("div", { class: "problem", "data-for": problem.path }, text);
      if (target.tagName === "FIELDSET") target.querySelector("legend").after(note);
      else target.append(note);
    } else {
      box.append(el("div", { class: "problem", "data-for": problem.path }, text));
    }
  }
  const first = document.querySelector(".problem");
  if (first) first.scrollIntoView({ block: "center" });
}

async function problemsOf(response) {
  const body = await response.json();
  return body.problems || [{ path: "", message: body.error + (body.error_id ? ` (error id ${body.error_id})` : "") }];
}

async function loadExample() {
  const name = $("example").value;
  if (!name) return;
  const response = await api(`v1/examples/${encodeURIComponent(name)}`);
  fill(JSON.parse(await response.text()));
  say(`已载入示例 Loaded example ${name}`);
}

async function loadFile() {
  const file = $("file").files[0];
  if (!file) return;
  const text = await file.text();
  if (!/\.ya?ml$/i.test(file.name)) {
    try {
      fill(JSON.parse(text));
      say(`已载入 Loaded ${file.name}`);
      return;
    } catch (error) {
      // not JSON: the service names the line and column below
    }
  }
  const type = /\.ya?ml$/i.test(file.name) ? "application/yaml" : "application/json";
  const response = await api("v1/case", { method: "POST", headers: { "Content-Type": type }, body: text });
  if (response.ok) {
    fill(await response.json());
    say(`已载入 Loaded ${file.name}`);
  } else {
    const problems = await problemsOf(response);
    say(`${file.name}: ` + problems.map((p) => `${p.line ? "line " + p.line + ": " : ""}${p.path ? p.path + ": " : ""}${p.message}`).join("; "));
  }
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function currentCase() {
  return state.form.read();
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluating, and drawing the determination from its JSON

async function evaluate() {
  const body = JSON.stringify(currentCase());
  const response = await api("v1/evaluate", { method: "POST", headers: { "Content-Type": "application/json" }, body });
  if (!response.ok) {
    $("result").hidden = true;
    $("download-determination").disabled = true;
    showProblems(await problemsOf(response));
    return;
  }
  clearProblems();
  state.determination = await response.text();
  draw(JSON.parse(state.determination));
  $("download-determination").disabled = false;
}

function outputSchema(name) {
  const defs = state.determinationSchema.$defs || {};
  return name ? defs[name] : state.determinationSchema;
}

function show(value) {
  if (value === null || value === undefined) return "—";
  if (value === true) return "是 yes";
  if (value === false) return "否 no";
  if (Array.isArray(value)) {
    if (!value.length) return "—";
    return value.every((v) => typeof v === "number") ? `[${value.join(",")}]` : value.map(show).join("; ");
  }
  if (typeof value === "object") {
    return Object.entries(value)
      .map(([key, v]) => (key === "rule" || key === "cites" ? `(${[].concat(v).join(", ")})` : key === "detail" ? `← ${show(v)}` : show(v)))
      .join(" ");
  }
  return typeof value === "string" ? valueLabel(value) : String(value);
}

function cell(key, value, schema = {}) {
  if (schema.type === "string" && !schema.enum) return value; // a name or an id, never read as a vocabulary value
  if (key === "form" && value !== null) return `${value} ${state.forms[value].join(" ")}`;
  if (key.startsWith("measure") && value === "none") return state.forms[0].join(" "); // the measure of form 0
  return show(value);
}

function header(key, schema) {
  return el("th", {}, ...labelNodes(key, (schema && schema.properties && schema.properties[key]) || {}));
}

function table(rows, schema, extra) {
  const keys = schema && schema.properties ? Object.keys(schema.properties) : [...new Set(rows.flatMap(Object.keys))];
  const head = el("tr", {}, ...keys.map((key) => header(key, schema)));
  if (extra) head.append(el("th", {}, extra));
  const columns = (schema && schema.properties) || {};
  const line = (row) => el("tr", {}, ...keys.map((key) => el("td", {}, cell(key, row[key], columns[key]))));
  return [head, rows.map(line)];
}

function draw(d) {
  const names = Object.fromEntries(d.people.map((p) => [p.person, p.name]));
  $("result-case").textContent = d.case_id;
  $("result-pack").textContent = `规则包 Rule pack: ${d.rulepack.name} ${d.rulepack.version} (${d.rulepack.digest})`;
  const [head, rows] = table(d.people, outputSchema("PersonResult"), "解释 Explanation");
  rows.forEach((row, i) => row.append(el("td", {}, explainButton(d.people[i].person, row))));
  $("people").tHead.replaceChildren(head);
  $("people").tBodies[0].replaceChildren(...rows);
  const o = d.organization;
  const dual = d.dual_investigation;
  $("summary").replaceChildren(
    el("li", { id: "organization" }, `组织 Organization: ${o.unit} — ${valueLabel(o.responsibility)}; ${show(o.measures)}`),
    el("li", { id: "publicize" }, `公开曝光 Publicize: ${show(d.publicize)}`),
    el(
      "li",
      { id: "dual" },
      `一案双查 Dual investigation: ${dual.complete ? "完整 complete" : "不完整 incomplete"}; 已倒查 examined ${show(dual.examined)}` +
        (dual.missing.length ? `; 未倒查 missing ${dual.missing.map((m) => `${m.person} ${m.violation}`).join(", ")}` : ""),
    ),
  );
  const known = new Set(["case_id", "rulepack", "people", "organization", "publicize", "dual_investigation", "trace"]);
  const more = [];
  for (const [key, value] of Object.entries(d)) {
    if (known.has(key)) continue;
    const fieldSchema = outputSchema().properties[key] || {};
    more.push(el("h3", { "data-field": key }, ...labelNodes(key, fieldSchema)));
    if (Array.isArray(value) && value.length && typeof value[0] === "object") {
      const ref = fieldSchema.items && fieldSchema.items.$ref;
      const [h, r] = table(value, ref ? outputSchema(ref.split("/").pop()) : null);
      more.push(el("table", { id: key }, el("thead", {}, h), el("tbody", {}, ...r)));
    } else {
      more.push(el("p", { id: key }, show(value)));
    }
  }
  $("more").replaceChildren(...more);
  $("trace").replaceChildren(...d.trace.map((step) => traceLine(step, names)));
  $("result").hidden = false;
  $("result").scrollIntoView();
}

function traceLine(step, names) {
  const who = step.person ? (names[step.person] ? `${names[step.person]}(${step.person})` : step.person) : "单位 unit";
  const target = step.violation ? `${who} ${step.violation}` : who;
  const facts = Object.entries(step.facts).map(([k, v]) => `${k}=${v}`).join(", ");
  const rest = Object.entries(step)
    .filter(([k]) => !["rule", "title", "cites", "person", "violation", "facts", "effect"].includes(k))
    .map(([k, v]) => `${k} ${v}`);
  return el(
    "li",
    {},
    el("code", {}, step.rule),
    ` ${step.title}: ${target}`,
    ...(facts ? [", ", el("code", {}, facts)] : []),
    " → ",
    el("b", {}, step.effect),
    " ",
    el("span", { class: "muted" }, `[${step.cites.join(", ")}]${rest.length ? " " + rest.join(" ") : ""}`),
  );
}

function explainButton(person, row) {
  const button = el("button", { type: "button", class: "small", "data-person": person }, "解释 ", el("span", { class: "en" }, "explain"));
  button.addEventListener("click", async () => {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("explanation")) return next.remove();
    const response = await api(`v1/explain?person=${encodeURIComponent(person)}&format=text`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(currentCase()),
    });
    const text = response.ok ? await response.text() : (await problemsOf(response)).map((p) => p.message).join("\n");
    const pre = el("pre", { class: "explanation", "data-person": person }, text);
    row.after(el("tr", { class: "explanation" }, el("td", { colspan: row.cells.length }, pre)));
  });
  return button;
}

// ---------------------------------------------------------------------------------------------------------------
// Start

async function start() {
  const [vocabulary, caseSchema, determinationSchema, examples] = await Promise.all([
    apiJSON("v1/vocabulary"),
    apiJSON("v1/schema/case"),
    apiJSON("v1/schema/determination"),
    apiJSON("v1/examples"),
  ]);
  state.labels = vocabulary.labels;
  state.forms = vocabulary.forms;
  state.meanings = vocabulary.meanings;
  state.caseDefs = caseSchema.$defs || {};
  state.determinationSchema = determinationSchema;
  state.form = objectWidget(caseSchema, "", "", "案件 Case", true);
  $("case-form").replaceChildren(state.form.node);
  $("example").replaceChildren(
    el("option", { value: "" }, "—"),
    ...examples.map((e) => el("option", { value: e.name }, `${e.name} ${e.title}`)),
  );
  document.body.dataset.ready = "true";
  say("");
}

function guard(action) {
  return () => action().catch((error) => say(String(error.message || error)));
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.forms) form.addEventListener("submit", (event) => event.preventDefault());
  $("load-example").addEventListener("click", guard(loadExample));
  $("file").addEventListener("change", guard(loadFile));
  $("new-case").addEventListener("click", () => fill({}));
  $("evaluate").addEventListener("click", guard(evaluate));
  $("download-case").addEventListener("click", () => download(`${currentCase().case_id || "case"}.json`, JSON.stringify(currentCase(), null, 2) + "\n"));
  $("download-determination").addEventListener("click", () => {
    const id = JSON.parse(state.determination).case_id;
    download(`${id}-determination.json`, state.determination);
  });
  $("token").addEventListener("change", guard(start));
  guard(start)();
});
