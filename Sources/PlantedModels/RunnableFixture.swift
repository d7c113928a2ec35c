/// The planted fixture made right for a forward pass too, so that the
/// experiments' tests have a model whose planted heads do their job when it
/// runs. The static fixture only has to be right for the method's
/// source representations; a run adds positions, every block's norms and
/// biases, and random heads and MLPs that write into the residual stream.
/// Here, on top of the static fixture:
/// - everything written into the residual stream is antisymmetric, `[f, -f]`
///   like the embedding (positions, every head's and MLP's output, their
///   biases), so every LayerNorm sees a zero mean and only rescales a row;
/// - norms weigh the reserved (code) dimensions by 1 with no bias there;
/// - no random head or MLP unit reads or writes a reserved dimension, and the
///   planted heads' value biases are zero: only planted heads move codes;
/// - planted heads write `weight · amplification`, so a copied code outweighs
///   the rest of the last position's residual and decides the next token;
///   the suppression head is scaled down instead, so it does not cancel them.
/// Static scores are unchanged: each change is a positive scale of a planted
/// head, or outside what the method reads.
extension PlantedCheckpoint {
    static let amplification: Float = 4096

    func runnableTensor(_ name: String, _ base: [Float], plan: Plan) -> [Float] {
        let d = shape.dModel
        let half = d / 2
        let dh = d / shape.heads
        let reserved = Layout.reserved
        let parts = name.split(separator: ".").map(String.init)
        let layer = parts.count > 1 ? Int(parts[1]) : nil
        func isReserved(_ j: Int) -> Bool { j % half < reserved }
        /// Row `r` of a `[rows, d]` matrix made antisymmetric, zero on reserved columns.
        func antisymmetricRows(_ v: [Float], rows: Int) -> [Float] {
            var out = v
            for r in 0..<rows {
                for j in 0..<half {
                    let x = j < reserved ? 0 : v[r * d + j]
                    out[r * d + j] = x
                    out[r * d + half + j] = -x
                }
            }
            return out
        }
        func role(_ h: Int) -> Role? { layer.flatMap { plan.plantedAt[$0 * shape.heads + h] } }

        switch name {
        case "wpe.weight":
            return antisymmetricRows(base, rows: base.count / d)
        case "ln_f.bias":
            return [Float](repeating: 0, count: base.count)
        case _ where name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name == "ln_f.weight":
            return base.enumerated().map { j, v in isReserved(j) ? 1 : max(v, 0.5) }
        case _ where name.hasSuffix("ln_1.bias") || name.hasSuffix("ln_2.bias"):
            return base.enumerated().map { j, v in isReserved(j) ? 0 : v }
        case _ where name.hasSuffix("attn.c_attn.weight"):
            // Random heads' value columns do not read the codes.
            var out = base
            for h in 0..<shape.heads where role(h) == nil {
                for i in 0..<d where isReserved(i) { for j in 0..<dh { out[i * 3 * d + 2 * d + h * dh + j] = 0 } }
            }
            return out
        case _ where name.hasSuffix("attn.c_attn.bias"):
            var out = base
            for h in 0..<shape.heads where role(h) != nil { for j in 0..<dh { out[2 * d + h * dh + j] = 0 } }
            return out
        case _ where name.hasSuffix("attn.c_proj.weight"):
            // Rows are head channels: random heads antisymmetric outside the codes,
            // planted heads their channel's weight mirrored and scaled.
            var out = antisymmetricRows(base, rows: d)
            for h in 0..<shape.heads {
                guard let r = role(h) else { continue }
                let factor = r == .suppression ? 1 / PlantedCheckpoint.amplification : PlantedCheckpoint.amplification
                for j in 0..<dh {
                    let row = h * dh + j
                    for o in 0..<half {
                        let w = base[row * d + o] * factor
                        out[row * d + o] = w
                        out[row * d + half + o] = -w
                    }
                }
            }
            return out
        case _ where name.hasSuffix("c_proj.bias"):
            return antisymmetricRows(base, rows: 1)
        case "h.0.mlp.c_fc.weight":
            // Random units do not read the codes; the pass-through units do.
            let dMLP = 4 * d
            let linear = 2 * reserved
            var out = base
            for i in 0..<d where isReserved(i) { for u in linear..<dMLP { out[i * dMLP + u] = 0 } }
            return out
        case "h.0.mlp.c_proj.weight":
            // Pass-through unit 2c writes +z to c and −z to half + c (2c + 1 the opposite).
            let dMLP = 4 * d
            var out = antisymmetricRows(base, rows: dMLP)
            for c in 0..<reserved {
                out[(2 * c) * d + c] = 1
                out[(2 * c) * d + half + c] = -1
                out[(2 * c + 1) * d + c] = -1
                out[(2 * c + 1) * d + half + c] = 1
            }
            return out
        case _ where name.hasSuffix("mlp.c_fc.weight"):
            let dMLP = 4 * d
            var out = base
            for i in 0..<d where isReserved(i) { for u in 0..<dMLP { out[i * dMLP + u] = 0 } }
            return out
        case _ where name.hasSuffix("mlp.c_proj.weight"):
            return antisymmetricRows(base, rows: base.count / d)
        default:
            return base
        }
    }
}
