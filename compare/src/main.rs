//! `tapir-compare`: tapir and Fidget side by side, on the same work, in one
//! process.
//!
//! For each `.vm` tape it times tapir, Fidget's VM and Fidget's JIT on 2D
//! frames, 3D frames (depth and normals, then each library's own shading)
//! and meshes, at each thread count, and prints Markdown tables of best and
//! median times with the ratios tapir / Fidget. It also checks that the
//! libraries agree: inside-pixel counts in 2D, hit fractions, depths and
//! normals in 3D, triangle counts of meshes.

mod agree;
mod fidget_side;
mod tapir_side;
mod timing;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use fidget::jit::JitShape;
use fidget::render::ThreadPool;
use fidget::vm::VmShape;

use agree::Surface;
use timing::{ENGINES, Engine, Row, interleaved};

const EXAMPLES: &str = "\
Examples:
  tapir-compare ../shared/models/prospero.vm
  tapir-compare colonnade.vm organic.vm --runs 9 --threads 1,2
  tapir-compare prospero.vm --parts 3d --sizes-3d 512 --engines tapir,jit

Make a .vm tape from any shape with `tapir export shape.expr -o shape.vm`.
Times are wall-clock, best and median of --runs timed runs after one
untimed warm-up, with the engines interleaved run by run. Ratios are of the
best times: below 1 means tapir is faster.";

/// Times tapir, Fidget's VM and Fidget's JIT on the same frames and meshes,
/// in one process, and prints the ratios.
#[derive(Parser, Debug)]
#[command(name = "tapir-compare", version, after_help = EXAMPLES)]
struct Args {
    /// Fidget `.vm` tapes to compare on.
    #[arg(required = true, value_name = "VM")]
    inputs: Vec<PathBuf>,

    /// Timed runs per measurement (after one untimed warm-up run).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    runs: u32,

    /// Thread counts, comma-separated (each 1 to 64).
    #[arg(long, value_delimiter = ',', default_value = "1,2", value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: Vec<u32>,

    /// 2D frame sizes in pixels per side, comma-separated (8 to 8192).
    #[arg(long = "sizes-2d", value_delimiter = ',', default_value = "1024", value_parser = clap::value_parser!(u32).range(8..=8192))]
    sizes_2d: Vec<u32>,

    /// 3D frame sizes, comma-separated: N means N² pixels × N samples deep
    /// (8 to 2048).
    #[arg(long = "sizes-3d", value_delimiter = ',', default_value = "512,1024", value_parser = clap::value_parser!(u32).range(8..=2048))]
    sizes_3d: Vec<u32>,

    /// Mesh octree depths, comma-separated (1 to 10; depth d has 2^d cells
    /// per side over [-1, 1]³).
    #[arg(long = "mesh-depths", value_delimiter = ',', default_value = "8,7", value_parser = clap::value_parser!(u8).range(1..=10))]
    mesh_depths: Vec<u8>,

    /// What to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2d,3d,mesh")]
    parts: Vec<Part>,

    /// Which evaluators to run, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "tapir,vm,jit")]
    engines: Vec<Engine>,

    /// An engine whose warm-up run takes longer than this many seconds is
    /// timed by that one run alone (marked † in the table).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = parse_seconds)]
    single_run_above: f64,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=86_400.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds from 0 to 86400")),
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    /// 2D frames over [-1, 1]² at z = 0.
    #[value(name = "2d")]
    Frames2d,
    /// 3D frames over [-1, 1]³ seen from +z: depth + normals, and shading.
    #[value(name = "3d")]
    Frames3d,
    /// Meshes over [-1, 1]³.
    Mesh,
}

/// A shape loaded for all three engines.
struct Model {
    name: String,
    tapir: tapir::Shape,
    vm: VmShape,
    jit: JitShape,
}

/// A failure: its message, and whether it is the user's input (exit 2)
/// or the run itself (exit 1).
struct Failure {
    message: String,
    usage: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(if f.usage { 2 } else { 1 })
        }
    }
}

fn run(args: &Args) -> Result<(), Failure> {
    let usage = |message: String| Failure {
        message,
        usage: true,
    };
    let failed = |message: String| Failure {
        message,
        usage: false,
    };
    // Load everything first, so that a bad file is reported before any
    // timing starts.
    let models = args
        .inputs
        .iter()
        .map(|p| load(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    let pools = args
        .threads
        .iter()
        .map(|&t| Ok((t as usize, fidget_side::pool(t as usize)?)))
        .collect::<Result<Vec<_>, String>>()
        .map_err(failed)?;
    let engines: Vec<Engine> = ENGINES
        .into_iter()
        .filter(|e| args.engines.contains(e))
        .collect();

    println!("# tapir vs Fidget {FIDGET_VERSION}, side by side");
    println!();
    println!(
        "CPU: {} ({} cores online); {} timed runs after a warm-up, engines interleaved; \
         times are best and median; ratios are of the best times.",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.runs
    );
    for m in &models {
        let rows = compare_model(args, m, &engines, &pools).map_err(failed)?;
        println!();
        println!("{}", timing::table(&rows.0));
        println!("Agreement:");
        for line in rows.1 {
            println!("{line}");
        }
    }
    Ok(())
}

/// The Fidget version this crate is built against (Cargo.lock pins it).
const FIDGET_VERSION: &str = "0.5";

fn load(path: &Path) -> Result<Model, String> {
    let shown = path.display();
    if path.extension().is_some_and(|e| e == "expr") {
        return Err(format!(
            "{shown} is a .expr file; Fidget reads .vm tapes: run `tapir export {shown} -o \
             {}` first",
            path.with_extension("vm").display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    // tapir's reader reports bad input with line and column; Fidget's
    // reader panics on some malformed lines, so it only sees checked text.
    let tapir = tapir::Shape::from_vm(&text).map_err(|e| {
        let caret = e.render(&shown.to_string());
        caret.trim_start_matches("error: ").to_string()
    })?;
    let (ctx, root) = fidget::Context::from_text(text.as_bytes())
        .map_err(|e| format!("{shown}: Fidget cannot read this tape: {e}"))?;
    let vm = VmShape::new(&ctx, root).map_err(|e| format!("{shown}: Fidget VM: {e}"))?;
    let jit = JitShape::new(&ctx, root).map_err(|e| format!("{shown}: Fidget JIT: {e}"))?;
    let name = path
        .file_name()
        .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    Ok(Model {
        name,
        tapir,
        vm,
        jit,
    })
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Times `f`, returning its time and result.
fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t0 = Instant::now();
    let out = f();
    (t0.elapsed(), out)
}

/// All measurements on one model: the table's rows, and the agreement
/// lines.
fn compare_model(
    args: &Args,
    m: &Model,
    engines: &[Engine],
    pools: &[(usize, Option<ThreadPool>)],
) -> Result<(Vec<Row>, Vec<String>), String> {
    println!();
    println!(
        "## {} (tapir: {} instructions; Fidget VM tape: {} clauses)",
        m.name,
        m.tapir.len(),
        m.vm.size()
    );
    let plan = timing::Plan {
        runs: args.runs,
        single_run_above: Duration::from_secs_f64(args.single_run_above),
    };
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    if args.parts.contains(&Part::Frames2d) {
        for &n in &args.sizes_2d {
            let mut masks: [Option<Vec<bool>>; 3] = Default::default();
            for (threads, pool) in pools {
                let pool = pool.as_ref();
                let times = interleaved(plan, engines, |e| {
                    let (t, mask) = match e {
                        Engine::Tapir => {
                            let (t, r) = timed(|| tapir_side::frame2d(&m.tapir, n, *threads));
                            (t, r?)
                        }
                        Engine::Vm => {
                            let (t, img) = timed(|| fidget_side::frame2d(&m.vm, n, pool));
                            (t, fidget_side::inside(&img))
                        }
                        Engine::Jit => {
                            let (t, img) = timed(|| fidget_side::frame2d(&m.jit, n, pool));
                            (t, fidget_side::inside(&img))
                        }
                    };
                    masks[e.index()] = Some(mask);
                    Ok(Some(t))
                })?;
                rows.push(Row {
                    work: format!("2D {n}²"),
                    threads: *threads,
                    times,
                });
            }
            notes.push(report2d(n, &masks));
        }
    }
    if args.parts.contains(&Part::Frames3d) {
        for &n in &args.sizes_3d {
            let mut surfaces: [Option<Surface>; 3] = Default::default();
            for (threads, pool) in pools {
                let pool = pool.as_ref();
                let mut tapir_geometry = None;
                let mut vm_image = None;
                let mut jit_image = None;
                let geometry = interleaved(plan, engines, |e| {
                    Ok(Some(match e {
                        Engine::Tapir => {
                            let (t, r) = timed(|| tapir_side::frame3d(&m.tapir, n, *threads));
                            tapir_geometry = Some(r?);
                            t
                        }
                        Engine::Vm => {
                            let (t, img) = timed(|| fidget_side::frame3d(&m.vm, n, pool));
                            vm_image = Some(img);
                            t
                        }
                        Engine::Jit => {
                            let (t, img) = timed(|| fidget_side::frame3d(&m.jit, n, pool));
                            jit_image = Some(img);
                            t
                        }
                    }))
                })?;
                // Each engine shades its own frame with its own shader.
                let shading = |ssao: bool| {
                    interleaved(plan, engines, |e| {
                        Ok(Some(match e {
                            Engine::Tapir => {
                                let g = tapir_geometry.as_ref().expect("rendered above");
                                timed(|| tapir_side::shade(g, ssao, *threads)).0
                            }
                            Engine::Vm => {
                                let img = vm_image.as_ref().expect("rendered above");
                                timed(|| fidget_side::shade(img, ssao, pool)).0
                            }
                            Engine::Jit => {
                                let img = jit_image.as_ref().expect("rendered above");
                                timed(|| fidget_side::shade(img, ssao, pool)).0
                            }
                        }))
                    })
                };
                let lights = shading(false)?;
                let ssao = shading(true)?;
                let total: [_; 3] =
                    std::array::from_fn(|i| geometry[i].zip(lights[i]).map(|(g, l)| g.then(l)));
                let label = format!("3D {n}³");
                for (work, times) in [
                    (format!("{label} depth + normals"), geometry),
                    (format!("{label} shading (lights)"), lights),
                    (format!("{label} shading + SSAO"), ssao),
                    (format!("{label} shaded = depth + normals + lights"), total),
                ] {
                    rows.push(Row {
                        work,
                        threads: *threads,
                        times,
                    });
                }
                if let Some(g) = &tapir_geometry {
                    surfaces[0] = Some(Surface::of_tapir(g));
                }
                if let Some(img) = &vm_image {
                    surfaces[1] = Some(fidget_side::surface(img, n));
                }
                if let Some(img) = &jit_image {
                    surfaces[2] = Some(fidget_side::surface(img, n));
                }
            }
            let [t, v, j] = &surfaces;
            match t {
                Some(t) => notes.push(agree::report3d(n as usize, t, v.as_ref(), j.as_ref())),
                None => notes.push(format!("- 3D {n}³: tapir not run, nothing to compare")),
            }
        }
    }
    if args.parts.contains(&Part::Mesh) {
        mesh_rows(plan, args, m, engines, pools, &mut rows, &mut notes)?;
    }
    Ok((rows, notes))
}

/// The mesh rows and their triangle counts.
fn mesh_rows(
    plan: timing::Plan,
    args: &Args,
    m: &Model,
    engines: &[Engine],
    pools: &[(usize, Option<ThreadPool>)],
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    for &depth in &args.mesh_depths {
        let mut triangles: [Option<agree::MeshCounts>; 3] = Default::default();
        for (threads, pool) in pools {
            let pool = pool.as_ref();
            let times = interleaved(plan, engines, |e| {
                // Timed: the meshing; counted afterwards: its edges.
                let (t, count) = match e {
                    Engine::Tapir => {
                        let (t, r) = timed(|| tapir_side::mesh(&m.tapir, depth, *threads));
                        let mesh = r?;
                        let tris = mesh.triangles.iter().map(|t| t.map(|i| i as usize));
                        (t, agree::MeshCounts::of(tris))
                    }
                    Engine::Vm | Engine::Jit => {
                        let (t, tris) = match e {
                            Engine::Vm => timed(|| fidget_side::mesh(&m.vm, depth, pool)),
                            _ => timed(|| fidget_side::mesh(&m.jit, depth, pool)),
                        };
                        (t, agree::MeshCounts::of(tris.into_iter()))
                    }
                };
                triangles[e.index()] = Some(count);
                Ok(Some(t))
            })?;
            rows.push(Row {
                work: format!("mesh depth {depth}"),
                threads: *threads,
                times,
            });
        }
        let counts: Vec<String> = ["tapir", "Fidget VM", "Fidget JIT"]
            .iter()
            .zip(triangles)
            .filter_map(|(name, c)| Some(format!("{name} {}", c?)))
            .collect();
        notes.push(format!("- mesh depth {depth}: {}", counts.join("; ")));
    }
    Ok(())
}

/// The 2D agreement line: inside counts, and pixels that differ.
fn report2d(n: u32, masks: &[Option<Vec<bool>>; 3]) -> String {
    let count = |m: &Vec<bool>| m.iter().filter(|&&b| b).count();
    let mut line = format!("- 2D {n}²: inside pixels");
    for (name, m) in ["tapir", "Fidget VM", "Fidget JIT"].iter().zip(masks) {
        if let Some(m) = m {
            line += &format!(" {name} {};", count(m));
        }
    }
    line.pop();
    if let Some(t) = &masks[0] {
        let differ: Vec<String> = [("VM", &masks[1]), ("JIT", &masks[2])]
            .into_iter()
            .filter_map(|(name, m)| {
                Some(format!("{name} {}", agree::mask_mismatch(t, m.as_ref()?)))
            })
            .collect();
        if !differ.is_empty() {
            line += &format!("; pixels differing from tapir: {}", differ.join(", "));
        }
    }
    line
}
