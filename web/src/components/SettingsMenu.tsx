//! Sound and notification preferences, the debug switch, the one place that asks the
//! browser for notification permission (from the user's click, never on load), Web Push
//! ("Notify me when Paybell is closed"), and
//! "Sign out everywhere", which ends the owner's sessions on every device.
import { useState } from 'react';
import { ApiError, api, errorMessage } from '../api';
import { requestNotificationPermission, useNotificationPermission } from '../notifications';
import { settings, useSettings } from '../settings';
import { playNotificationSound } from '../sounds';
import { Dropdown } from './Dropdown';
import { PushSwitch } from './PushSwitch';

const PERMISSION_TEXT = {
  granted: 'Desktop notifications are allowed.',
  denied: 'Desktop notifications are blocked in this browser’s site settings; you will see messages on the page instead.',
  default: 'Allow desktop notifications to hear about payments while this tab is in the background.',
  unsupported: 'This browser has no desktop notifications; you will see messages on the page.',
} as const;

export interface SettingsMenuProps {
  /** Called once every session, this one included, has ended. */
  onSignedOutEverywhere(): void;
}

export function SettingsMenu({ onSignedOutEverywhere }: SettingsMenuProps) {
  const current = useSettings();
  const permission = useNotificationPermission();
  const [asking, setAsking] = useState(false);
  const [ending, setEnding] = useState(false);
  const [endError, setEndError] = useState<string | null>(null);

  const signOutEverywhere = async () => {
    setEnding(true);
    setEndError(null);
    try {
      await api.logoutAll();
    } catch (cause) {
      // Already signed out here: the other sessions may still be alive, but this page can
      // do nothing more for them.
      if (!(cause instanceof ApiError && cause.isUnauthorized)) {
        setEndError(errorMessage(cause));
        setEnding(false);
        return;
      }
    }
    onSignedOutEverywhere();
  };

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
        <PushSwitch />
        <label className="switch">
          <input
            type="checkbox"
            checked={current.debug}
            onChange={(e) => settings.update({ debug: e.target.checked })}
          />
          Debug: log live updates to the browser console
        </label>
        <hr className="settings-rule" />
        <p className="hint">Signed in on a computer or phone you no longer use? End every session, this one too.</p>
        <button
          type="button"
          className="button small danger-outline"
          onClick={signOutEverywhere}
          disabled={ending}
        >
          Sign out everywhere
        </button>
        {endError && (
          <p className="hint error-text" role="alert">
            {endError}
          </p>
        )}
      </div>
    </Dropdown>
  );
}
