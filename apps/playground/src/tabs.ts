/**
 * Accessible tabs (the WAI-ARIA tabs pattern): buttons with role="tab" in a role="tablist",
 * each controlling a role="tabpanel"; click or arrow keys switch, only the selected tab is in
 * the tab order.
 */
export function setupTabs(list: HTMLElement, onShow: (panelId: string) => void): void {
  const tabs = [...list.querySelectorAll<HTMLButtonElement>('[role=tab]')];
  const select = (tab: HTMLButtonElement) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')!)!.hidden = !on;
    }
    onShow(tab.getAttribute('aria-controls')!);
  };
  for (const [i, tab] of tabs.entries()) {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length]!;
      next.focus();
      select(next);
    });
  }
}
