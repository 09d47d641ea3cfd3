// The console's progressive enhancements; every page works without them.
// 1. A tracking number is checked as it is typed (the server's own rule, /console/check-tracking).
// 2. An upload shows its progress, then the page the server answers with.
"use strict";

document.querySelectorAll("form[data-tracking-form]").forEach((form) => {
  const input = form.querySelector("[data-tracking]");
  const carrier = form.querySelector("[data-carrier]");
  const out = form.querySelector("[data-check]");
  const dummy = form.querySelector("input[name=dummy]");
  if (!input || !carrier || !out) return;
  let seq = 0;
  const check = async () => {
    const number = input.value.trim();
    if (!number || (dummy && dummy.checked)) { out.textContent = ""; out.className = "check"; return; }
    const mine = ++seq;
    const q = new URLSearchParams({ carrier: carrier.value, number });
    try {
      const r = await fetch("/console/check-tracking?" + q, { credentials: "same-origin" });
      const v = await r.json();
      if (mine !== seq) return;
      out.textContent = v.ok ? (v.check_digit ? "✓ " + (document.documentElement.lang === "en" ? "Check digit OK" : "チェックデジット OK") : "✓") : v.message;
      out.className = "check " + (v.ok ? "ok" : "bad");
    } catch (e) { /* the server checks again on submit */ }
  };
  input.addEventListener("input", check);
  carrier.addEventListener("change", check);
});

document.querySelectorAll("form[data-progress]").forEach((form) => {
  form.addEventListener("submit", (ev) => {
    if (!window.FormData || !window.XMLHttpRequest) return;
    ev.preventDefault();
    const box = form.querySelector("[data-progress-box]");
    const bar = form.querySelector("[data-bar]");
    const text = form.querySelector("[data-progress-text]");
    if (box) box.hidden = false;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      if (bar) bar.value = pct;
      if (text) text.textContent = text.dataset.uploading + " " + pct + "%";
    };
    xhr.upload.onload = () => {
      if (bar) bar.removeAttribute("value");
      if (text) text.textContent = text.dataset.processing;
    };
    xhr.onload = () => {
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = () => { form.submit(); };
    xhr.send(new FormData(form));
  });
});

// 受注一覧: tick every order of the page at once; 納品書: print.
document.querySelectorAll("#select-all").forEach((all) => {
  all.addEventListener("change", () => {
    document.querySelectorAll('input[name="o"][form="selection"]').forEach((b) => { b.checked = all.checked; });
  });
});
document.querySelectorAll(".js-print").forEach((b) => {
  b.addEventListener("click", () => window.print());
});
