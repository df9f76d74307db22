// The theme, set before the first paint: a classic script in the shell's <head>, after the
// stylesheet (so that the page is never drawn in the wrong colours, and the theme's colours
// can be read here). The theme chosen on this device (js/device.js writes it), else the
// system's light or dark; followed as either changes, in every tab.
(() => {
  const KEY = "arch-stats.theme";
  const THEMES = ["light", "dark", "sun"];
  const root = document.documentElement;
  const system = matchMedia("(prefers-color-scheme: dark)");
  const apply = () => {
    let chosen = null;
    try {
      chosen = localStorage.getItem(KEY);
    } catch {
      // Storage refused (some private modes): the system's theme.
    }
    root.dataset.theme = THEMES.includes(chosen) ? chosen : system.matches ? "dark" : "light";
    // The browser's own bar in the colour of the page's header.
    const bar = document.querySelector('meta[name="theme-color"]');
    const head = getComputedStyle(root).getPropertyValue("--head-bg").trim();
    if (bar && head) bar.content = head;
  };
  apply();
  system.addEventListener("change", apply);
  addEventListener("storage", (event) => {
    if (event.key === null || event.key === KEY) apply();
  });
  // A choice made in this tab (storage events reach the other tabs only).
  addEventListener("arch-stats:theme", apply);
})();
