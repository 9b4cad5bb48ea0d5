//! Game-side client for Assetry hot reload (built with the hot-reload issue).
