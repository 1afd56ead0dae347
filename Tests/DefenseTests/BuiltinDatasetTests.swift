import Foundation
import Testing
@testable import Defense

/// The built-in datasets over the real pinned files (fetched on first use).
@Suite struct BuiltinDatasetTests {
    @Test func rtCountsAfterNeutralBandAndDuplicates() throws {
        let d = try Datasets.load("rt")
        // movieReviewSnippets_GroundTruth.txt has 10,605 rows; 533 have |rating| < 0.5 and are
        // dropped, leaving 10,072; 2 of those repeat an earlier sentence (case and spacing
        // ignored), leaving 10,070. Measured with /opt/refpy/bin/python over the same file.
        #expect(d.report.rowsRead == 10_605)
        #expect(d.report.droppedNeutral == 533)
        #expect(d.report.duplicatesDropped == 2)
        #expect(d.report.conflictingDuplicates == 0)
        #expect(d.report.skippedCount == 0)
        #expect(d.examples.count == 10_070)
        #expect(d.labelNames == ["negative", "positive"])
        let counts = d.classCounts
        #expect(counts[0] > 4_000 && counts[1] > 4_000, "both labels well represented: \(counts)")
        #expect(counts[0] + counts[1] == 10_070)
        #expect(d.examples[0].text.hasPrefix("The Rock is destined to be the 21st Century's new ''Conan''"))
        #expect(d.examples[0].label == 1)
        #expect(Set(d.examples.map { LabelBuilder.dedupKey($0) }).count == d.examples.count)
    }

    @Test func rtPatternReadsTheQuotedMultilineCSV() throws {
        let d = try Datasets.load("rt-pattern")
        // 4,000 rows (each quoted text ends in a newline inside the quotes), labels -1/1 balanced
        // 2,000/2,000, no repeated sentence (Python's csv module over the same file agrees)
        #expect(d.report.rowsRead == 4_000)
        #expect(d.report.duplicatesDropped == 0)
        #expect(d.examples.count == 4_000)
        #expect(d.classCounts == [2_000, 2_000])
        #expect(d.examples[0].text == "the rock is destined to be the 21st century's new \" conan \" and that he's going to make a splash even greater than arnold schwarzenegger , jean-claud van damme or steven segal .")
        #expect(d.examples.allSatisfy { !$0.text.hasSuffix("\n") && !$0.text.hasPrefix("\u{FEFF}") })
    }

    @Test func amazonAndImdbLike() throws {
        let amazon = try Datasets.load("amazon")
        // 3,708 rows; 723 in the neutral band; 8 repeats → 2,977 (same Python measurement)
        #expect(amazon.report.rowsRead == 3_708)
        #expect(amazon.report.droppedNeutral == 723)
        #expect(amazon.examples.count == 2_977)
        let imdb = try Datasets.load("imdb-like")
        #expect(imdb.examples.count == 1_500)
        #expect(imdb.classCounts == [750, 750])
        let words = imdb.examples.map { $0.text.split(whereSeparator: \.isWhitespace).count }
        #expect(words.reduce(0, +) / words.count > 500, "full reviews, hundreds of words each")
    }

    @Test func samePolarityPairsAreBalancedDisjointAndReproducible() throws {
        let rt = try Datasets.load("rt")
        let pairs = try Datasets.load(Datasets.pairTaskName)
        let again = try Datasets.load(Datasets.pairTaskName)
        #expect(pairs.examples == again.examples)
        #expect(pairs.isPair)
        #expect(pairs.labelNames == ["different", "same"])
        let counts = pairs.classCounts
        #expect(counts[0] == counts[1])
        #expect(counts[0] > 2_400)
        // every sentence in at most one pair, every label right
        let polarity = Dictionary(uniqueKeysWithValues: rt.examples.map { ($0.text, $0.label) })
        var used = Set<String>()
        for e in pairs.examples {
            let second = try #require(e.pair)
            let a = try #require(polarity[e.text]), b = try #require(polarity[second])
            #expect(e.label == (a == b ? 1 : 0))
            #expect(used.insert(e.text).inserted && used.insert(e.pair!).inserted)
        }
        // same-polarity pairs come from both polarities (alternating until the rarer runs out)
        let positiveSame = pairs.examples.filter { $0.label == 1 && polarity[$0.text] == 1 }.count
        #expect(Double(positiveSame) > 0.45 * Double(counts[1]) && Double(positiveSame) < 0.55 * Double(counts[1]))
        // in mixed pairs, the positive sentence comes first about half the time
        let positiveFirst = pairs.examples.filter { $0.label == 0 && polarity[$0.text] == 1 }.count
        #expect(Double(positiveFirst) > 0.45 * Double(counts[0]) && Double(positiveFirst) < 0.55 * Double(counts[0]))
    }

    @Test func resolverAcceptsPathsAndRejectsUnknownNames() throws {
        let files = TempFiles()
        defer { files.remove() }
        let path = files.write("mine.jsonl", "{\"text\": \"good\", \"label\": \"pos\"}\n{\"text\": \"bad\", \"label\": \"neg\"}\n")
        let d = try Datasets.load(path)
        #expect(d.name == path)
        #expect(d.examples == [Example(text: "good", label: 1), Example(text: "bad", label: 0)])
        #expect(throws: FinemixError("'sst2' is neither a built-in dataset (rt, rt-pattern, amazon, imdb-like, rt-samepolarity-pairs) nor an existing file")) {
            try Datasets.load("sst2")
        }
    }
}
