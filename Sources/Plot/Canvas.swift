/// What panels draw on, in points. Cairo implements it (PNG and PDF); a new
/// backend (SVG, a test recorder) is one more conformance. Panels never see
/// the library behind it, the way matplotlib's artists never see a backend.
public protocol Canvas: AnyObject {
    func fill(_ rect: Rect, _ color: RGB, alpha: Double)
    func roundedRect(_ rect: Rect, radius: Double, fill: RGB, fillAlpha: Double, stroke: RGB, lineWidth: Double)
    func strokeRect(_ rect: Rect, _ color: RGB, lineWidth: Double)
    func lines(_ segments: [(Point, Point)], _ color: RGB, lineWidth: Double, roundCaps: Bool)
    func circle(center: Point, radius: Double, _ color: RGB, lineWidth: Double)
    /// A closed polygon, filled and outlined.
    func polygon(_ points: [Point], fill: RGB, stroke: RGB, lineWidth: Double)
    /// A raster of `columns × rows` colours (row-major), scaled into `rect` with sharp edges.
    func image(_ pixels: [RGB], columns: Int, rows: Int, in rect: Rect)
    /// `origin` is the top-left of the text's box (for rotated text, its bottom-left).
    func text(_ text: String, font: FontSpec, at origin: Point, rotated: Bool, wrapWidth: Double?, color: RGB)
}

extension Canvas {
    func lines(_ segments: [(Point, Point)], _ color: RGB, lineWidth: Double) {
        lines(segments, color, lineWidth: lineWidth, roundCaps: false)
    }

    func text(_ text: String, font: FontSpec, at origin: Point, rotated: Bool = false, wrapWidth: Double? = nil) {
        self.text(text, font: font, at: origin, rotated: rotated, wrapWidth: wrapWidth, color: .black)
    }
}
