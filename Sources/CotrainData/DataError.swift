// Errors of the data layer: episode stores, VL shards and imports. Recipes have their
// own type (RecipeError). Every message names the input and says what to do.
import CotrainCore

/// A problem with stored or imported training data.
public enum DataError: CotrainError, Equatable {
    /// A directory is not an episode store (no index and no episode files).
    case notAStore(String)
    /// An episode file could not be parsed as a cotrain episode.
    case badEpisode(file: String, reason: String)
    /// An episode file's SHA-256 differs from the one in the index.
    case episodeHashMismatch(file: String, expected: String, actual: String)
    /// An episode file's size differs from the one in the index.
    case episodeSizeMismatch(file: String, expected: Int, actual: Int)
    /// The index lists a file that does not exist.
    case episodeMissing(file: String)
    /// A file in the store is not listed in the index.
    case episodeNotIndexed(file: String)
    /// The index file itself is malformed.
    case badIndex(file: String, reason: String)
    /// Normalisation statistics are missing or do not match the store's index.
    case statsUnavailable(store: String, reason: String)
    /// No statistics exist for a source × embodiment (an episode without its group).
    case noStats(source: String, embodiment: String)
    /// A VL manifest is malformed.
    case badManifest(file: String, reason: String)
    /// A shard does not match its manifest entry.
    case shardMismatch(shard: String, reason: String)
    /// A VL sample (generated, stored or imported) is malformed.
    case badSample(source: String, key: String, reason: String)
    /// An imported image is in a format cotrain does not read.
    case unsupportedImageFormat(source: String, key: String, format: String)
    /// An imported tar contains an entry cotrain refuses (path traversal, link, …).
    case unsafeArchive(source: String, reason: String)
    /// A PPM/PGM image is malformed.
    case badImage(reason: String)
    /// A collect/generate/import argument is out of range.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .notAStore(path):
            return "\(path) is not an episode store (no index.json or episodes/); collect into it with `cotrain data collect --store \(path)`"
        case let .badEpisode(file, reason):
            return "episode file \(file) is invalid: \(reason); delete it and run `cotrain data verify --rebuild-index`"
        case let .episodeHashMismatch(file, expected, actual):
            return "episode file \(file) is corrupted: SHA-256 \(actual.prefix(16))… but the index says \(expected.prefix(16))…; delete it (or restore it from backup) and run `cotrain data verify --rebuild-index`"
        case let .episodeSizeMismatch(file, expected, actual):
            return "episode file \(file) is \(actual) bytes but the index says \(expected) (truncated or replaced); restore it from backup or delete it and run `cotrain data verify --rebuild-index`"
        case let .episodeMissing(file):
            return "episode file \(file) is listed in the index but missing; restore it or run `cotrain data verify --rebuild-index`"
        case let .episodeNotIndexed(file):
            return "episode file \(file) is not in the index (an interrupted collect?); run `cotrain data verify --rebuild-index` to add it"
        case let .badIndex(file, reason):
            return "episode index \(file) is invalid: \(reason); run `cotrain data verify --rebuild-index` to rebuild it from the episode files"
        case let .statsUnavailable(store, reason):
            return "normalisation statistics of \(store) are unusable: \(reason); run `cotrain data stats --store \(store)`"
        case let .noStats(source, embodiment):
            return "no normalisation statistics for source \"\(source)\" × \(embodiment); run `cotrain data stats --store DIR` on the store holding that data"
        case let .badManifest(file, reason):
            return "VL manifest \(file) is invalid: \(reason); regenerate or re-import the shards"
        case let .shardMismatch(shard, reason):
            return "VL shard \(shard) does not match its manifest: \(reason); fetch or regenerate the shard"
        case let .badSample(source, key, reason):
            return "VL sample \"\(key)\" in \(source): \(reason)"
        case let .unsupportedImageFormat(source, key, format):
            return "VL sample \"\(key)\" in \(source): image format .\(format) is not supported; only binary PPM (.ppm, P6) and PGM (.pgm, P5) are — convert first, e.g. `convert in.\(format) out.ppm` (ImageMagick)"
        case let .unsafeArchive(source, reason):
            return "refusing \(source): \(reason); only plain files with relative names may appear in a WebDataset tar"
        case let .badImage(reason):
            return "invalid PPM/PGM image: \(reason)"
        case let .invalidArgument(reason):
            return reason
        }
    }
}
