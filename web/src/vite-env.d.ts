/// <reference types="vite/client" />

// The build-time realtime settings (DESIGN.md § Configuration names).
interface ImportMetaEnv {
  readonly VITE_PUSHER_APP_KEY?: string;
  readonly VITE_PUSHER_CLUSTER?: string;
  readonly VITE_PUSHER_WS_HOST?: string;
  readonly VITE_PUSHER_WS_PORT?: string;
  readonly VITE_PUSHER_FORCE_TLS?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
