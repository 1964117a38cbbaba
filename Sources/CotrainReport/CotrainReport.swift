// CotrainReport: self-contained HTML reports with SVG plots drawn by our own code.
//
// The module reads the files other modules write (evaluation results JSON, the
// trainer's training-log.jsonl, the round journal, rollout GIFs) with its own strict
// parsers, so it depends on CotrainCore only and a lab can render a report from copied
// result files. Entry point: ``HTMLReport`` (in-memory values) or ``ReportSources``
// (file paths, as `cotrain report` uses them). See docs/reports.md.
import CotrainCore
