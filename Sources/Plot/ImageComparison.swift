import Foundation

/// Compares two raster images the way matplotlib's `compare_images` does:
/// the RMS of the differences of all 8-bit RGB channel values.
public struct ImageComparison: Sendable {
    public let rms: Double
    public let sizeMismatch: Bool
    public let differingPixels: Int
    public let actual: RasterImage
    public let expected: RasterImage

    public init(actual: RasterImage, expected: RasterImage) {
        self.actual = actual
        self.expected = expected
        sizeMismatch = actual.width != expected.width || actual.height != expected.height
        guard !sizeMismatch else {
            rms = .infinity
            differingPixels = max(actual.width * actual.height, expected.width * expected.height)
            return
        }
        var sum = 0.0
        var differing = 0
        for p in 0..<(actual.width * actual.height) {
            var any = false
            for c in 0..<3 {
                let d = Double(actual.rgba[4 * p + c]) - Double(expected.rgba[4 * p + c])
                sum += d * d
                if d != 0 { any = true }
            }
            if any { differing += 1 }
        }
        rms = (sum / Double(actual.width * actual.height * 3)).squareRoot()
        differingPixels = differing
    }

    public func passes(tolerance: Double) -> Bool { !sizeMismatch && rms <= tolerance }

    /// |actual − expected| per channel, times `gain`, on black: where they differ.
    public func diffImage(gain: Double = 10) -> RasterImage {
        let w = max(actual.width, expected.width)
        let h = max(actual.height, expected.height)
        var out = [UInt8](repeating: 0, count: w * h * 4)
        for y in 0..<h {
            for x in 0..<w {
                let i = (y * w + x) * 4
                out[i + 3] = 255
                guard x < actual.width, y < actual.height, x < expected.width, y < expected.height else {
                    out[i] = 255
                    out[i + 1] = 0
                    out[i + 2] = 255  // outside one of them: magenta
                    continue
                }
                let a = (y * actual.width + x) * 4
                let e = (y * expected.width + x) * 4
                for c in 0..<3 {
                    let d = abs(Double(actual.rgba[a + c]) - Double(expected.rgba[e + c])) * gain
                    out[i + c] = UInt8(min(255, d))
                }
            }
        }
        return RasterImage(width: w, height: h, rgba: out)
    }

    /// expected | actual | difference, left to right and labelled, for a
    /// reviewer to look at; nil when the three would be too wide to draw.
    public func sideBySide(gain: Double = 10) -> RasterImage? {
        let diff = diffImage(gain: gain)
        let parts = [("expected", expected), ("actual", actual), ("difference ×\(Int(gain))", diff)]
        let gap = 8
        let band = 22
        let w = parts.map(\.1.width).reduce(0, +) + 2 * gap
        let h = parts.map(\.1.height).max()! + band
        guard w <= FigureLimits.pixelsPerSide, h <= FigureLimits.pixelsPerSide, w * h <= FigureLimits.pixels else {
            return nil
        }
        var out = [UInt8](repeating: 255, count: w * h * 4)
        var x0 = 0
        var captions: [(x: Int, text: String)] = []
        for (label, part) in parts {
            for y in 0..<part.height {
                for x in 0..<part.width {
                    let s = (y * part.width + x) * 4
                    let d = ((y + band) * w + x0 + x) * 4
                    for c in 0..<4 { out[d + c] = part.rgba[s + c] }
                }
            }
            captions.append((x0 + 4, label))
            x0 += part.width + gap
        }
        return RasterImage(width: w, height: h, rgba: out).captioned(captions)
    }
}

extension RasterImage {
    /// Averages `factor × factor` blocks: differences of antialiasing between
    /// rasterisers fade, misplaced elements do not.
    public func downsampled(by factor: Int) -> RasterImage {
        let w = width / factor
        let h = height / factor
        var out = [UInt8](repeating: 255, count: w * h * 4)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    var sum = 0
                    for dy in 0..<factor {
                        for dx in 0..<factor { sum += Int(rgba[((y * factor + dy) * width + x * factor + dx) * 4 + c]) }
                    }
                    out[(y * w + x) * 4 + c] = UInt8(sum / (factor * factor))
                }
            }
        }
        return RasterImage(width: w, height: h, rgba: out)
    }
}
