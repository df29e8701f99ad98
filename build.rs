//! Compiles the small C helpers in `src/native` (long double arithmetic, see
//! `src/native.rs`).

fn main() {
    println!("cargo:rerun-if-changed=src/native/ldouble.c");
    cc::Build::new()
        .file("src/native/ldouble.c")
        .opt_level(2)
        .warnings(true)
        .compile("tessera_native");
}
