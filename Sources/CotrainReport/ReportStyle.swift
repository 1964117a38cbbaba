// The page's stylesheet: light, quiet colours so the data carries the colour; system
// fonts only (nothing to fetch); a print layout that keeps figures whole.

enum ReportStyle {
    static let css = """
    :root { --ink: #1d2433; --muted: #5b6475; --line: #dde1e8; --bg: #f5f6f8; --card: #ffffff;
      --better: #1b7f4c; --better-bg: #e6f4ec; --worse: #b3261e; --worse-bg: #fbe9e7; --unclear: #5b6475; }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.45;
      font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    header.top { background: var(--card); border-bottom: 1px solid var(--line); padding: 22px 40px 14px; }
    h1 { margin: 0 0 4px; font-size: 26px; font-weight: 650; letter-spacing: -0.01em; }
    .meta { margin: 0; color: var(--muted); }
    nav { margin-top: 12px; display: flex; gap: 6px; flex-wrap: wrap; }
    nav a { color: var(--ink); text-decoration: none; padding: 3px 10px; border: 1px solid var(--line); border-radius: 14px; font-size: 13px; }
    nav a:hover { background: var(--bg); }
    main { max-width: 1240px; margin: 0 auto; padding: 8px 40px 24px; }
    section { margin-top: 26px; }
    h2 { font-size: 20px; margin: 0 0 6px; padding-top: 10px; border-top: 3px solid var(--ink); display: inline-block; }
    h3 { font-size: 16px; margin: 22px 0 2px; }
    .lede { color: var(--muted); max-width: 880px; margin: 4px 0 14px; font-size: 14px; }
    .cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 14px; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; min-width: 220px; position: relative; }
    .swatch { position: absolute; left: 0; top: 0; bottom: 0; width: 5px; border-radius: 8px 0 0 8px; }
    .card-name { font-weight: 600; overflow-wrap: anywhere; }
    .card-figure { font-size: 30px; font-weight: 650; font-variant-numeric: tabular-nums; }
    .card-detail { color: var(--muted); font-size: 13px; }
    .card-warning { color: var(--worse); font-size: 13px; font-weight: 600; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 14px; }
    figure { margin: 0; }
    figure.panel, figure.wide { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px 4px; }
    figure.wide { margin-bottom: 14px; }
    figcaption { font-weight: 600; font-size: 14px; }
    svg.chart { width: 100%; height: auto; display: block; font-family: inherit; }
    .grid line, .wide line { shape-rendering: crispEdges; }
    .tick { font-size: 11px; fill: var(--muted); font-variant-numeric: tabular-nums; }
    .axis-title { font-size: 12px; fill: var(--ink); }
    .legend { font-size: 12px; fill: var(--ink); }
    .category { font-size: 12px; fill: var(--ink); }
    line.gridline { stroke: #eceef2; stroke-width: 1; }
    line.axis { stroke: #9aa1ad; stroke-width: 1; }
    line.marker { stroke: #8a8f99; stroke-width: 1; }
    .marker-label { font-size: 10.5px; fill: var(--muted); font-style: italic; }
    line.whisker { stroke: var(--ink); stroke-width: 1.4; }
    rect.bar { stroke-width: 1.2; }
    rect.bar.s0 { stroke: #0072B2; } rect.bar.s1 { stroke: #D55E00; } rect.bar.s2 { stroke: #009E73; }
    rect.bar.s3 { stroke: #CC79A7; } rect.bar.s4 { stroke: #E69F00; } rect.bar.s5 { stroke: #56B4E9; } rect.bar.s6 { stroke: #555555; }
    .bar-label { font-size: 11px; font-weight: 600; fill: var(--ink); font-variant-numeric: tabular-nums; }
    .bar-label.small { font-size: 10px; font-weight: 500; fill: var(--muted); }
    rect.strip { fill: #9fb8d0; }
    rect.lane { fill: #f3f5f8; }
    rect.gap { fill: #ffffff; fill-opacity: 0.6; stroke: #c9ced6; stroke-dasharray: 3 3; }
    .note { color: var(--muted); font-size: 13px; margin: 2px 0 6px; }
    .lane-label { font-size: 12px; fill: var(--ink); }
    circle.dot { fill-opacity: 0.85; stroke: #ffffff; stroke-width: 1; }
    table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); font-size: 13.5px; margin: 8px 0 4px; }
    th, td { padding: 5px 10px; text-align: left; border-bottom: 1px solid #eceef2; vertical-align: middle; }
    th { background: #eef0f4; font-weight: 600; font-size: 12.5px; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .muted { color: var(--muted); }
    .strong { font-weight: 650; }
    tbody tr:nth-child(even) { background: #fafbfc; }
    tr.better { background: var(--better-bg) !important; }
    tr.worse { background: var(--worse-bg) !important; }
    .verdict { font-weight: 600; white-space: nowrap; }
    .verdict.better { color: var(--better); } .verdict.worse { color: var(--worse); } .verdict.unclear { color: var(--unclear); font-weight: 500; }
    .tally { margin: 0; color: var(--muted); font-size: 13px; }
    svg.glyph { display: block; }
    .glyph-axis { stroke: #c9ced6; stroke-width: 1; } .glyph-zero { stroke: #6b7280; stroke-width: 1; }
    .glyph-ci { stroke-width: 3; stroke-linecap: round; stroke: var(--unclear); }
    .glyph-point { fill: var(--ink); }
    svg.better .glyph-ci { stroke: var(--better); } svg.worse .glyph-ci { stroke: var(--worse); }
    details.cells { margin-top: 14px; } details.cells summary { cursor: pointer; font-weight: 600; font-size: 14px; }
    code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
    .status { padding: 8px 12px; border-radius: 6px; font-size: 13.5px; margin: 0 0 12px; }
    .status.ok { background: var(--better-bg); color: var(--better); }
    .status.bad { background: var(--worse-bg); color: var(--worse); }
    .status ul { margin: 4px 0 0; }
    .rollouts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 14px; }
    figure.rollout { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
    figure.rollout img { width: 100%; height: auto; image-rendering: pixelated; display: block; border-radius: 4px; }
    figure.rollout figcaption { font-weight: 500; font-size: 13px; margin-top: 6px; overflow-wrap: anywhere; }
    .empty { color: var(--muted); }
    footer { max-width: 1240px; margin: 0 auto; padding: 16px 40px 40px; color: var(--muted); font-size: 12.5px; }
    @page { size: A4; margin: 14mm; }
    @media print {
      body { background: #ffffff; font-size: 11pt; }
      header.top { border: none; padding: 0 0 8px; }
      nav, details.cells summary { display: none; }
      main, footer { padding: 0; max-width: none; }
      .grid { grid-template-columns: 1fr 1fr; }
      figure, .card, tr, .rollout { break-inside: avoid; }
      figure.panel, figure.wide, .card, table { border-color: #cccccc; }
      section { break-before: auto; }
      h2 { break-after: avoid; }
    }

    """
}
