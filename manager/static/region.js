// A regional manager's offices compared over a range: one chart, one table, links to each.
import { el } from "/static/nobat-dom.js";
import {
  $, chart, getJson, lang, minutes, num, percent, problem, rangeForm, rangeText, root, t,
} from "/manager/static/common.js";

const offices = root.dataset.offices;
let query = "";

async function load({ from, to }) {
  query = `from=${from}&to=${to}&offices=${encodeURIComponent(offices)}&by=office`;
  problem("history-problem", "");
  document.querySelectorAll(".export").forEach((link) => {
    link.href = `/api/v1/stats.${link.dataset.format}?${query}&lang=${lang}`;
  });
  try {
    const answer = await getJson(`/api/v1/stats?${query}`);
    $("range-text").textContent = rangeText(answer.range);
    const groups = answer.groups;
    const label = (g) => (lang === "fa" ? g.key.name : g.key.name_en);
    chart("chart-offices", "bar", groups.map(label), [
      { label: t("wait_p90"), data: groups.map((g) => minutes(g.wait.p90)) },
      { label: t("service_level_pct"), data: groups.map((g) => (g.service_level.share == null ? null : Math.round(g.service_level.share * 100))) },
    ]);
    $("table-office").tBodies[0].replaceChildren(...groups.map((g) => {
      const row = el("tr");
      const head = el("th");
      head.scope = "row";
      const link = el("a", "compare-link", label(g));
      link.href = `/manager/${encodeURIComponent(g.key.office)}${lang === "en" ? "?lang=en" : ""}`;
      head.append(link);
      const time = g.counter_time;
      row.append(head, ...[
        num(g.tickets), num(g.served), num(minutes(g.wait.median), 1), num(minutes(g.wait.p90), 1),
        num(minutes(g.service.median), 1), percent(g.rates.no_show), percent(g.service_level.share),
        time ? percent(time.utilisation) : "–",
      ].map((text) => el("td", "", text)));
      return row;
    }));
    if (!answer.totals.tickets) problem("history-problem", t("no_data"));
  } catch (error) {
    problem("history-problem", error.message);
  }
}

rangeForm(load);
