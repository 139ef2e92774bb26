//! Sound and notification preferences, the debug switch, and the one place that asks the
//! browser for notification permission (from the user's click, never on load).
import { useState } from 'react';
import { requestNotificationPermission, useNotificationPermission } from '../notifications';
import { settings, useSettings } from '../settings';
import { playNotificationSound } from '../sounds';
import { Dropdown } from './Dropdown';

const PERMISSION_TEXT = {
  granted: 'Desktop notifications are allowed.',
  denied: 'Desktop notifications are blocked in this browser’s site settings; you will see messages on the page instead.',
  default: 'Allow desktop notifications to hear about payments while this tab is in the background.',
  unsupported: 'This browser has no desktop notifications; you will see messages on the page.',
} as const;

export function SettingsMenu() {
  const current = useSettings();
  const permission = useNotificationPermission();
  const [asking, setAsking] = useState(false);

  const allow = async () => {
    setAsking(true);
    try {
      await requestNotificationPermission();
    } finally {
      setAsking(false);
    }
  };

  return (
    <Dropdown label="Settings" className="settings">
      <div className="settings-panel">
        <label className="switch">
          <input
            type="checkbox"
            checked={current.sounds}
            onChange={(e) => {
              settings.update({ sounds: e.target.checked });
              if (e.target.checked) playNotificationSound('info');
            }}
          />
          Sounds
        </label>
        <label className="switch">
          <input
            type="checkbox"
            checked={current.notifications}
            onChange={(e) => settings.update({ notifications: e.target.checked })}
          />
          Desktop notifications
        </label>
        <p className="hint">{PERMISSION_TEXT[permission]}</p>
        {permission === 'default' && current.notifications && (
          <button type="button" className="button small" onClick={allow} disabled={asking}>
            Allow desktop notifications
          </button>
        )}
        <label className="switch">
          <input
            type="checkbox"
            checked={current.debug}
            onChange={(e) => settings.update({ debug: e.target.checked })}
          />
          Debug: log live updates to the browser console
        </label>
      </div>
    </Dropdown>
  );
}
