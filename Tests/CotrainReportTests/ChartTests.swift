import Testing
@testable import CotrainReport

@Suite struct MarkupTests {
    @Test func escapesEverythingDangerous() {
        #expect(Markup.escape("<script>alert('x') & \"y\"</script>") == "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;")
        #expect(Markup.escape("a\u{0}b\u{1B}c\td") == "a\u{FFFD}b\u{FFFD}c\td")
        #expect(Markup.escape("ünïcødé ✓") == "ünïcødé ✓")
        #expect(Markup.identifier("Task: <pick>") == "task---pick-")
    }

    @Test func numbersPrintTheSameEverywhere() {
        #expect(NumberText.fixed(0.125, 2) == "0.13" && NumberText.fixed(-0.004, 2) == "0.00" && NumberText.fixed(-1.5, 1) == "-1.5")
        #expect(NumberText.fixed(.nan, 2) == "–")
        #expect(NumberText.coordinate(12.0) == "12" && NumberText.coordinate(12.34) == "12.3")
        #expect(NumberText.percent(0.8) == "80%" && NumberText.points(0.2) == "+20" && NumberText.points(-0.05) == "−5" && NumberText.points(0) == "0")
        #expect(NumberText.loss(0.012345) == "0.0123" && NumberText.loss(2.5) == "2.50" && NumberText.compact(2) == "2")
        #expect(NumberText.bytes(999) == "999 B" && NumberText.bytes(1_500_000) == "1.5 MB")
    }
}

@Suite struct ChartTests {
    let styles = (0..<3).map { SeriesStyle(index: $0) }

    @Test func lineChartIsWellFormedAndLabelled() throws {
        let points = (1...50).map { ChartPoint(x: Double($0), y: 2 / Double($0)) }
        var chart = LineChart(title: "loss <&>", xLabel: "step", yLabel: "loss", series: [
            LineSeries(name: "run \"a\"", points: points, style: styles[0]),
            LineSeries(name: "raw", points: points, style: styles[1], faint: true),
        ], markers: [ChartMarker(x: 20, label: "phase <2>")])
        for logY in [false, true] {
            chart.logY = logY
            let svg = chart.svg(id: "c1")
            #expect(xmlProblem(svg) == nil, "\(xmlProblem(svg) ?? "")")
            #expect(svg.contains("<title id=\"c1-t\">loss &lt;&amp;&gt;</title>"))
            #expect(svg.contains(">run &quot;a&quot;</text>") && svg.contains("phase &lt;2&gt;"))
            #expect(!svg.contains(">raw</text>"))  // faint series stay out of the legend
            #expect(svg.contains("stroke-dasharray") == false || styles[0].dash.isEmpty)
        }
        #expect(chart.svg(id: "c1").contains(">0.1</text>"))  // log ticks 1-2-5
    }

    @Test func barChartDrawsWhiskersLabelsAndPatterns() {
        let legend = [(name: "A", style: styles[0]), (name: "B<", style: styles[1])]
        let groups = [BarGroup(label: "nominal", bars: [
            Bar(series: 0, value: 0.8, interval: (0.6, 0.9), label: "80%", detail: "A: 8/10"),
            Bar(series: 1, value: 0.5, interval: (0.3, 0.7), label: "50%", detail: "B: 5/10"),
        ])]
        let svg = GroupedBarChart(title: "pick", yLabel: "success rate", legend: legend, groups: groups).svg(id: "b")
        #expect(xmlProblem(svg) == nil, "\(xmlProblem(svg) ?? "")")
        #expect(svg.components(separatedBy: "class=\"whisker\"").count - 1 == 6)
        #expect(svg.contains(">80%</text>") && svg.contains(">50%</text>") && svg.contains(">100%</text>"))
        #expect(svg.contains("<pattern id=\"b-series-1\""))  // second series hatched: readable without colour
        #expect(svg.contains("<title>A: 8/10</title>") && svg.contains("B&lt;"))
    }

    @Test func paletteIsStablePerName() {
        var p = Palette()
        let a = p.style("a"), b = p.style("b")
        #expect(p.style("a") == a && a != b && p.existing("c") == nil)
        #expect(a.colour != b.colour && a.dash != b.dash && !a.hatched && b.hatched)
    }

    @Test func checkerCatchesBrokenMarkup() {
        #expect(xmlProblem("<a><b></a>") != nil)
        #expect(xmlProblem("<a>x < y</a>") != nil)
        #expect(xmlProblem("<a>AT&T</a>") != nil)
        #expect(xmlProblem("<a x=1/>") != nil)
        #expect(xmlProblem("<a x=\"1\" x=\"2\"/>") != nil)
        #expect(xmlProblem("<!DOCTYPE html>\n<a t=\"&lt;\">&amp;&#39;<b/></a>\n") == nil)
    }
}
