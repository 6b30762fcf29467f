//! Dataset sources other than image folders: each module reads one on-disk kind and hands back
//! its elements with their stored dtypes and shapes, without knowing about plans, loaders or export.

pub mod saved;
