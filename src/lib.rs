//! monotable
