//! Sources other than image folders, each opened as arrays that keep their stored dtypes and shapes.
//! Not yet wired into the loader, the command line or the GUI.

pub mod arrays;
pub mod cifar;
pub mod export_folder;
pub mod idx;
pub mod rows;
