//! Step 3 with the real kubectl (placeholder).
