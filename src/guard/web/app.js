// guard's page: paste a script and see its findings in place, check a catalog, read the post-live report.
// Everything it needs is served by `guard serve`; it calls the same JSON API other services use.
"use strict";

const TEXT = {
  zh: {
    title: "直播合规检查", nav_script: "话术", nav_catalog: "商品", nav_report: "复盘", switch: "English",
    script_title: "直播话术检查", category: "类目", platform: "平台", wechat: "微信", douyin: "抖音", taobao: "淘宝",
    script_hint: "粘贴直播话术或字幕，选择类目和平台后检查。违规用语按等级标色，点击可看原因、改法和依据；在框里改好后再检查一次。",
    check: "检查", checking: "检查中……", clean: "没有发现问题。", found: (n, c) => `发现 ${n} 个问题：${c}`,
    catalog_title: "商品目录检查", catalog_hint: "上传后台导出的商品表（XLSX、CSV、JSON），按商品列出问题，最严重的在前。",
    check_catalog: "检查商品", download: "下载 XLSX", topic: "主题", tier: "等级", all: "全部", product: "商品", rule: "规则",
    problem: "问题", fix: "修改", reason: "原因", source: "依据", penalty: "处罚", choose_file: "请先选择文件。",
    rows: (s) => `读取 ${s.read} 条，检查 ${s.checked} 条，拒收 ${s.rejected} 条；发现问题 ${s.findings} 个`,
    report_title: "直播复盘", report_hint: "上传平台导出的直播数据（按分钟、按商品），结合本服务的监控数据库生成复盘报告。",
    room: "直播间", make_report: "生成报告", report_done: (n) => `复盘报告已生成（${n} 条建议）`,
    key: "这个服务需要 API 密钥：", error: "出错了：",
    tiers: { severe: "严重", general: "一般", minor: "轻微", info: "提示" },
  },
  en: {
    title: "Live-commerce compliance check", nav_script: "Script", nav_catalog: "Catalog", nav_report: "Report", switch: "中文",
    script_title: "Check a live script", category: "Category", platform: "Platform", wechat: "WeChat", douyin: "Douyin", taobao: "Taobao",
    script_hint: "Paste a script or captions, choose the category and platform, and check. Findings are coloured by tier; click one for the reason, a rewrite and the source; fix the text in the box and check again.",
    check: "Check", checking: "Checking…", clean: "No findings.", found: (n, c) => `${n} findings: ${c}`,
    catalog_title: "Check a catalog", catalog_hint: "Upload a product export (XLSX, CSV, JSON): findings by product, worst first.",
    check_catalog: "Check products", download: "Download XLSX", topic: "Topic", tier: "Tier", all: "All", product: "Product", rule: "Rule",
    problem: "Problem", fix: "Fix", reason: "Reason", source: "Source", penalty: "Penalty", choose_file: "Choose a file first.",
    rows: (s) => `read ${s.read}, checked ${s.checked}, rejected ${s.rejected}; ${s.findings} findings`,
    report_title: "Post-live report", report_hint: "Upload the platform's metrics export (per minute, per SKU); the report joins it with this server's monitor database.",
    room: "Room", make_report: "Make the report", report_done: (n) => `Report ready (${n} advice)`,
    key: "This server needs an API key:", error: "Error: ",
    tiers: { severe: "severe", general: "general", minor: "minor", info: "info" },
  },
};
const TIERS = ["severe", "general", "minor", "info"];
let lang = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "zh";
let lastCatalog = null;  // {name, bytes}: what "download" sends again
let lastFindings = [];
const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[lang][key];

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = `guard · ${t("title")}`;
  for (const el of document.querySelectorAll("[data-t]")) {
    const value = TEXT[lang][el.dataset.t];
    if (typeof value === "string") el.textContent = value;
  }
  $("lang").textContent = t("switch");
  loadCategories();
  fillTierFilter();
  renderCatalog();
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const key = sessionStorage.getItem("guard-key");
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    const entered = prompt(t("key"));
    if (entered) { sessionStorage.setItem("guard-key", entered); return api(path, options); }
  }
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(`${response.status} ${message}`);
  }
  return response;
}

async function loadCategories() {
  const select = $("category");
  const chosen = select.value;
  try {
    const body = await (await api("/v1/categories")).json();
    select.replaceChildren(...body.categories.map((c) => new Option(lang === "zh" ? c.zh : c.id, c.id)));
    select.value = chosen || "general";
  } catch (e) { /* the page still lints without categories */ }
}

function countByTier(findings) {
  const counts = TIERS.map((tier) => [tier, findings.filter((f) => f.tier === tier).length]).filter(([, n]) => n);
  return counts.map(([tier, n]) => `${t("tiers")[tier]} ${n}`).join(lang === "zh" ? "，" : ", ");
}

function sourceText(f) {
  return (f.sources || []).map((s) => `${s.title}${s.section ? " " + s.section : ""} [${s.confidence}]`).join("；");
}

function showDetail(f, mark) {
  for (const m of document.querySelectorAll("mark.active")) m.classList.remove("active");
  if (mark) mark.classList.add("active");
  const detail = $("detail");
  detail.className = `detail ${f.tier}`;
  detail.replaceChildren();
  const h = document.createElement("h3");
  h.innerHTML = `<span class="tier ${f.tier}"></span> `;
  h.firstChild.textContent = t("tiers")[f.tier];
  h.append(`${f.rule} 「${f.matched || ""}」`);
  const rows = [[t("reason"), f.message], [t("fix"), f.fix], [t("penalty"), f.penalty], [t("source"), sourceText(f)]];
  detail.append(h, ...rows.filter(([, v]) => v).map(([k, v]) => {
    const p = document.createElement("p");
    const b = document.createElement("b");
    b.textContent = `${k}：`;
    p.append(b, v);
    return p;
  }));
  detail.hidden = false;
}

function renderHighlights(text, findings) {
  // Findings are code-point offsets; JavaScript strings index UTF-16 units, so walk by code points.
  const points = Array.from(text);
  const spans = findings.filter((f) => f.start != null && f.end > f.start)
    .sort((a, b) => a.start - b.start || TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier));
  const out = $("highlighted");
  out.replaceChildren();
  let at = 0;
  for (const f of spans) {
    if (f.start < at) continue;  // overlapping: the earlier, worse finding is shown
    out.append(points.slice(at, f.start).join(""));
    const mark = document.createElement("mark");
    mark.className = f.tier;
    mark.dataset.rule = f.rule;
    mark.dataset.tier = f.tier;
    mark.title = `${t("tiers")[f.tier]} ${f.rule}：${f.message}`;
    mark.textContent = points.slice(f.start, f.end).join("");
    mark.tabIndex = 0;
    mark.addEventListener("click", () => showDetail(f, mark));
    mark.addEventListener("keydown", (e) => { if (e.key === "Enter") showDetail(f, mark); });
    out.append(mark);
    at = f.end;
  }
  out.append(points.slice(at).join(""));
}

async function lintScript() {
  const text = $("text").value;
  $("lint-summary").textContent = t("checking");
  $("detail").hidden = true;
  try {
    const body = { text, category: $("category").value || null, platform: $("platform").value, lang };
    const report = await (await api("/v1/lint", { method: "POST", headers: { "Content-Type": "application/json" },
                                                   body: JSON.stringify(body) })).json();
    renderHighlights(text, report.findings);
    $("lint-summary").textContent = report.findings.length ? t("found")(report.findings.length, countByTier(report.findings)) : t("clean");
  } catch (e) {
    $("lint-summary").textContent = t("error") + e.message;
  }
}

function fillTierFilter() {
  const select = $("filter-tier");
  const chosen = select.value;
  select.replaceChildren(new Option(t("all"), ""), ...TIERS.map((tier) => new Option(t("tiers")[tier], tier)));
  select.value = chosen;
}

function renderCatalog() {
  const topic = $("filter-topic").value;
  const tier = $("filter-tier").value;
  const rows = lastFindings.filter((f) => (!topic || f.topic === topic) && (!tier || f.tier === tier));
  $("findings").tBodies[0].replaceChildren(...rows.map((f) => {
    const tr = document.createElement("tr");
    tr.dataset.rule = f.rule;
    tr.dataset.tier = f.tier;
    tr.dataset.topic = f.topic;
    const tierCell = document.createElement("td");
    const badge = document.createElement("span");
    badge.className = `tier ${f.tier}`;
    badge.textContent = t("tiers")[f.tier];
    tierCell.append(badge);
    const cells = [f.product || f.subject || "", null, f.rule, f.message, f.fix];
    tr.append(...cells.map((v) => { if (v === null) return tierCell; const td = document.createElement("td"); td.textContent = v; return td; }));
    tr.title = sourceText(f);
    return tr;
  }));
}

async function readFile(input) {
  const file = input.files[0];
  if (!file) throw new Error(t("choose_file"));
  return { name: file.name, bytes: await file.arrayBuffer() };
}

async function checkCatalog() {
  try {
    lastCatalog = await readFile($("catalog-file"));
    $("catalog-summary").textContent = t("checking");
    const query = new URLSearchParams({ name: lastCatalog.name, lang });
    const report = await (await api(`/v1/catalog?${query}`, { method: "POST", body: lastCatalog.bytes,
                                                              headers: { "Content-Type": "application/octet-stream" } })).json();
    lastFindings = report.findings;
    const topics = [...new Set(lastFindings.map((f) => f.topic))].sort();
    $("filter-topic").replaceChildren(new Option(t("all"), ""), ...topics.map((x) => new Option(x, x)));
    renderCatalog();
    $("problems").replaceChildren(...report.problems.map((p) => {
      const li = document.createElement("li");
      li.textContent = `${p.location || ""} ${p.message_zh && lang === "zh" ? p.message_zh : p.message}`;
      return li;
    }));
    $("catalog-summary").textContent = t("rows")({ read: report.summary.read, checked: report.summary.checked,
                                                   rejected: report.summary.rejected, findings: lastFindings.length });
    $("download").disabled = false;
  } catch (e) {
    $("catalog-summary").textContent = t("error") + e.message;
  }
}

async function downloadXlsx() {
  if (!lastCatalog) return;
  const query = new URLSearchParams({ name: lastCatalog.name, lang, format: "xlsx" });
  try {
    const blob = await (await api(`/v1/catalog?${query}`, { method: "POST", body: lastCatalog.bytes,
                                                           headers: { "Content-Type": "application/octet-stream" } })).blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = lastCatalog.name.replace(/\.[^.]*$/, "") + (lang === "zh" ? "-问题.xlsx" : "-findings.xlsx");
    document.body.append(link);
    link.click();
    link.remove();
  } catch (e) {
    $("catalog-summary").textContent = t("error") + e.message;
  }
}

async function makeReport() {
  try {
    const file = await readFile($("metrics-file"));
    $("report-summary").textContent = t("checking");
    const query = new URLSearchParams({ name: file.name, lang });
    if ($("room").value.trim()) query.set("room", $("room").value.trim());
    const body = await (await api(`/v1/report?${query}`, { method: "POST", body: file.bytes,
                                                          headers: { "Content-Type": "application/octet-stream" } })).json();
    const frame = $("report-frame");
    frame.srcdoc = body.html;
    frame.hidden = false;
    $("report-summary").textContent = t("report_done")(body.report.advice.length);
  } catch (e) {
    $("report-summary").textContent = t("error") + e.message;
  }
}

$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; applyLanguage(); });
$("lint").addEventListener("click", lintScript);
$("check").addEventListener("click", checkCatalog);
$("download").addEventListener("click", downloadXlsx);
$("filter-topic").addEventListener("change", renderCatalog);
$("filter-tier").addEventListener("change", renderCatalog);
$("make-report").addEventListener("click", makeReport);
applyLanguage();
