import Foundation

/// The array job script of a plan: each array task runs one cell with `finemix run-cell`, which
/// checks the inputs, skips a cell already done and writes the result file. `finemix submit`
/// passes `--array` on the command line (only the cells not done), which overrides the one here.
public enum SlurmScript {
    public static let fileName = "finemix.sbatch"

    public static func text(plan: Plan, folder: URL) -> String {
        let r = plan.resources
        let dir = folder.standardizedFileURL.path
        var s = "#!/bin/bash\n"
        s += "# Written by finemix \(plan.kind) --plan: \(plan.cells.count) cells, one per array task.\n"
        s += "# Submit with `finemix submit \(shellQuoted(dir))` (it passes --array with the cells not yet done).\n"
        s += "# Memory and CPUs from the model (\(r.parameters) parameters, \(r.weightBytes) bytes of weights, "
        s += "hidden \(r.hidden) × \(r.layers) layers), batch \(r.batch), \(r.tokens) tokens: see docs/cluster.md.\n"
        s += "#SBATCH --job-name=finemix-\(plan.kind)\n"
        s += "#SBATCH --array=0-\(max(0, plan.cells.count - 1))\n"
        s += "#SBATCH --ntasks=1\n"
        s += "#SBATCH --cpus-per-task=\(r.cpus)\n"
        s += "#SBATCH --mem=\(r.memoryMB)M\n"
        s += "#SBATCH --output=\(dir)/logs/slurm-%A_%a.out\n"
        if let p = r.partition { s += "#SBATCH --partition=\(p)\n" }
        if let g = r.gres { s += "#SBATCH --gres=\(g)\n" }
        if let t = r.time { s += "#SBATCH --time=\(t)\n" }
        s += "set -eu\n"
        s += "# BLAS threads follow the cores Slurm gave the task.\n"
        s += "export OPENBLAS_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-\(r.cpus)}\"\n"
        s += "exec \(shellQuoted(plan.executable)) run-cell \(shellQuoted(dir)) \"$SLURM_ARRAY_TASK_ID\"\n"
        return s
    }

    /// "0-3,5,7-8": Slurm's --array list for the given indices.
    public static func arrayList(_ indices: [Int]) -> String {
        let sorted = Array(Set(indices)).sorted()
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}
