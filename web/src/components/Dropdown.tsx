//! A small disclosure menu (`<details>`): opens on its button, closes on Escape (focus back
//! on the button), on a click or focus outside, and when one of its links is followed.
import { useEffect, useRef, useState, type ReactNode } from 'react';

export interface DropdownProps {
  /** The button's text. */
  label: ReactNode;
  /** The accessible name when `label` is not text (an icon). */
  ariaLabel?: string;
  className?: string;
  children: ReactNode;
}

export function Dropdown({ label, ariaLabel, className = '', children }: DropdownProps) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDetailsElement>(null);

  useEffect(() => {
    if (!open) return;
    const outside = (event: Event) => {
      if (event.target instanceof Node && !root.current?.contains(event.target)) setOpen(false);
    };
    const escape = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      root.current?.querySelector('summary')?.focus();
    };
    document.addEventListener('pointerdown', outside);
    document.addEventListener('focusin', outside);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('pointerdown', outside);
      document.removeEventListener('focusin', outside);
      document.removeEventListener('keydown', escape);
    };
  }, [open]);

  return (
    <details
      ref={root}
      className={`dropdown ${className}`.trim()}
      open={open}
      onToggle={(event) => setOpen(event.currentTarget.open)}
      onClick={(event) => {
        // Following a link inside closes the menu (the page changes under it).
        if (event.target instanceof Element && event.target.closest('a')) setOpen(false);
      }}
    >
      <summary aria-label={ariaLabel}>{label}</summary>
      <div className="dropdown-panel">{children}</div>
    </details>
  );
}
