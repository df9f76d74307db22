// What belongs to this device, not to the account: its settings (the theme, the tick on
// record; kept in localStorage, chosen on the profile page) and what the phone itself does
// while an archer scores (the screen kept on, a short vibration).

const THEME = "arch-stats.theme"; // read by ../boot.js before the first paint
const TICK = "arch-stats.tick";

export const THEMES = [
  ["system", "As the system (light or dark)"],
  ["light", "Light"],
  ["dark", "Dark"],
  ["sun", "Sunlight (high contrast, for bright sun)"],
];

function read(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage refused (some private modes)
  }
}

function write(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Storage refused: the choice lasts for this page only.
  }
}

/** The theme chosen on this device: "system", "light", "dark" or "sun". */
export function chosenTheme() {
  const value = read(THEME);
  return THEMES.some(([key]) => key === value) ? value : "system";
}

export function chooseTheme(value) {
  write(THEME, value === "system" ? null : value);
  dispatchEvent(new Event("arch-stats:theme")); // ../boot.js applies it
}

/** Whether recording an arrow vibrates the phone (on unless turned off here). */
export function tickOn() {
  return read(TICK) !== "off";
}

export function setTick(on) {
  write(TICK, on ? null : "off");
}

/** A short vibration when an arrow is recorded, where the device has it and it is on. */
export function tick() {
  if (tickOn() && typeof navigator.vibrate === "function") navigator.vibrate(15);
}

/**
 * The screen kept on while `hold(true)`: the browser drops the lock whenever the page is
 * hidden, so it is asked for again each time the page is shown. Where the API is missing or
 * the lock is refused (battery saver), the screen sleeps as it always did.
 */
export function wakeLock() {
  let wanted = false;
  let lock = null;
  let asking = false;
  async function sync() {
    if (!("wakeLock" in navigator)) return;
    if (wanted && !lock && !asking && document.visibilityState === "visible") {
      asking = true;
      try {
        lock = await navigator.wakeLock.request("screen");
        lock.addEventListener("release", () => {
          lock = null;
        });
      } catch {
        lock = null; // refused: nothing to do
      } finally {
        asking = false;
      }
    }
    if (!wanted && lock) {
      const held = lock;
      lock = null;
      held.release().catch(() => {});
    }
  }
  document.addEventListener("visibilitychange", sync);
  return {
    hold(on) {
      wanted = on;
      sync();
    },
    stop() {
      wanted = false;
      document.removeEventListener("visibilitychange", sync);
      sync();
    },
  };
}
