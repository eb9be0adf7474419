"""The web app for finance and admins: server-rendered pages over the same store repositories, reconcile
lifecycle and sync services the CLI uses (docs/web.md). Nothing imports this package."""
