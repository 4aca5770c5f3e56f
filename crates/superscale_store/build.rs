//! Records the git commit the binary was built from, so every stored run names the code
//! that produced it. `SUPERSCALE_GIT_COMMIT` set by the builder (CI, a cluster module)
//! wins; otherwise `git rev-parse` is asked; without git the commit is simply unknown.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SUPERSCALE_GIT_COMMIT");
    if std::env::var_os("SUPERSCALE_GIT_COMMIT").is_some() {
        return;
    }
    let git = |args: &[&str]| {
        let output = Command::new("git").args(args).output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return;
    };
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    println!(
        "cargo:rustc-env=SUPERSCALE_GIT_COMMIT={commit}{}",
        if dirty { "-dirty" } else { "" }
    );
    // Rebuild when HEAD moves (a commit or a checkout), not on every build.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let git_dir = Path::new(&git_dir);
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        println!("cargo:rerun-if-changed={}", git_dir.join("index").display());
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!(
                "cargo:rerun-if-changed={}",
                git_dir.join(reference).display()
            );
        }
    }
}
