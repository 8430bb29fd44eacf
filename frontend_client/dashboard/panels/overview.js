// Today at a glance: billing, desk and alert figures, and three live charts.
//   revenue/invoices: a point per `stats` (or staff `global_stats`) event from /analytics
//   check-ins per hour: today's check-ins, bumped by every live `checkin`
//   sockets per namespace: this node's roomcast_sockets_connected gauge (/metrics)

import { $, money, showError } from "../dom.js";

const GREEN = "#0f9f78";
const BLUE = "#2563eb";

function chart(id, config) {
  if (!window.Chart) return null; // the vendored script failed to load: figures still work
  window.Chart.defaults.color = "#667085";
  window.Chart.defaults.font.family = "system-ui, sans-serif";
  return new window.Chart($(id), config);
}

export function startOverview({ client, user, open, bus }) {
  $("scope").textContent = user.is_staff ? "(everyone: staff view)" : "(your account)";
  const revenue = chart("chart-revenue", {
    type: "line",
    data: {
      labels: [],
      datasets: [
        { label: "revenue paid ($)", data: [], borderColor: GREEN, backgroundColor: `${GREEN}22`, fill: true, tension: 0.25, yAxisID: "money" },
        { label: "invoices", data: [], borderColor: BLUE, stepped: true, yAxisID: "count" },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { money: { position: "left", beginAtZero: true }, count: { position: "right", beginAtZero: true, grid: { display: false }, ticks: { precision: 0 } } },
    },
  });
  const hours = [...Array(24).keys()];
  const perHour = chart("chart-checkins", {
    type: "bar",
    data: { labels: hours.map((h) => `${String(h).padStart(2, "0")}h`), datasets: [{ label: "check-ins", data: hours.map(() => 0), backgroundColor: GREEN, borderRadius: 3 }] },
    options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const namespaces = ["/analytics", "/dns", "/chat", "/checkins", "/alerts"];
  const sockets = chart("chart-sockets", {
    type: "bar",
    data: { labels: namespaces, datasets: [{ label: "open sockets", data: namespaces.map(() => 0), backgroundColor: [GREEN, BLUE, "#7a5af8", "#f79009", "#f04438"], borderRadius: 3 }] },
    options: { indexAxis: "y", maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  window.roomcastCharts = { revenue, perHour, sockets }; // for the browser tests and the curious

  const point = (stats) => {
    $("kpi-revenue").textContent = money(stats.revenue_paid_cents);
    $("kpi-invoices").textContent = `${stats.paid_invoices} / ${stats.pending_invoices} / ${stats.overdue_invoices}`;
    $("kpi-subs").textContent = String(stats.active_subscriptions);
    if (!revenue) return;
    const labels = revenue.data.labels;
    labels.push(new Date(stats.as_of).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
    revenue.data.datasets[0].data.push(stats.revenue_paid_cents / 100);
    revenue.data.datasets[1].data.push(stats.total_invoices);
    if (labels.length > 60) {
      labels.shift();
      revenue.data.datasets.forEach((set) => set.data.shift());
    }
    revenue.update();
  };
  // Staff chart everyone's figures; a user their own.
  const sock = open("/analytics");
  sock.on(user.is_staff ? "global_stats" : "stats", point);

  const bump = (iso) => {
    if (!perHour || !iso) return;
    const when = new Date(iso);
    if (when.toDateString() !== new Date().toDateString()) return;
    perHour.data.datasets[0].data[when.getHours()] += 1;
    perHour.update();
  };
  bus.addEventListener("checkin", (event) => bump(event.detail.checked_in_at));
  bus.addEventListener("checkin-stats", (event) => {
    $("kpi-inside").textContent = String(event.detail.checked_in_now);
    $("kpi-today").textContent = String(event.detail.checkins_today);
  });
  bus.addEventListener("unread", (event) => ($("kpi-alerts").textContent = String(event.detail)));
  (async () => {
    try {
      const { items } = await client.get("/checkins?limit=100");
      items.forEach((checkin) => bump(checkin.checked_in_at));
    } catch (err) {
      showError("analytics-error", err);
    }
  })();

  const metric = /^roomcast_sockets_connected\{namespace="([^"]+)"\} ([0-9.e+]+)$/;
  const poll = async () => {
    try {
      const text = await (await fetch("/metrics")).text();
      const counts = Object.fromEntries(namespaces.map((ns) => [ns, 0]));
      for (const line of text.split("\n")) {
        const found = metric.exec(line.trim());
        if (found && found[1] in counts) counts[found[1]] = Number(found[2]);
      }
      if (sockets) {
        sockets.data.datasets[0].data = namespaces.map((ns) => counts[ns]);
        sockets.update();
      }
    } catch {
      /* the chart keeps its last figures */
    }
  };
  poll();
  setInterval(poll, 5000);
  bus.addEventListener("presence", poll);
  if (!revenue) $("analytics-error").textContent = "charts unavailable (Chart.js did not load); figures above stay live";
}
