declare const FLASK_SENTINEL_VERSION: string | undefined;

/** The package version, injected by the bundler; '0.0.0-dev' when run from source. */
export const VERSION = typeof FLASK_SENTINEL_VERSION === 'string' ? FLASK_SENTINEL_VERSION : '0.0.0-dev';
