//! Step 3 against lab-02 (placeholder).
