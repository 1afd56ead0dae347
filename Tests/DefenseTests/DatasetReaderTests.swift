import Foundation
import Testing
@testable import Defense
import TestSupport

/// The error message of a throwing load, or nil when it did not throw a FinemixError.
func loadError(_ body: () throws -> Dataset) -> String? {
    do { _ = try body(); return nil } catch let e as FinemixError { return e.message } catch { return "\(error)" }
}

@Suite struct DatasetReaderTests {
    let files = TempFiles()

    // MARK: CSV

    @Test func csvQuotingDoubledQuotesEmbeddedNewlinesCRLFAndBOM() throws {
        defer { files.remove() }
        let csv = "\u{FEFF}label,text\r\n"
            + "pos,\"a \"\"quoted\"\" word, with a comma\"\r\n"
            + "neg,\"two\r\nlines\"\r\n"
            + "\r\n"
            + "pos,plain text\r\n"
        let path = files.write("a.csv", csv)
        let d = try DatasetReader.read(path: path)
        #expect(d.examples.map(\.text) == ["a \"quoted\" word, with a comma", "two\nlines", "plain text"])
        // discovered labels are sorted: neg → 0, pos → 1
        #expect(d.labelNames == ["neg", "pos"])
        #expect(d.examples.map(\.label) == [1, 0, 1])
        #expect(d.report.labelMapping == ["neg → 0", "pos → 1"])
        #expect(d.report.rowsRead == 3)
    }

    @Test func csvLineNumbersCountEmbeddedNewlines() throws {
        defer { files.remove() }
        // the row on line 4 follows a record spanning lines 2-3; its bad label must be named line 4
        let path = files.write("b.csv", "label,text\n1,\"x\ny\"\n7,z\n")
        let message = loadError { try DatasetReader.read(path: path, options: ReadOptions(labels: .map(labels: ["0": 0, "1": 1]))) }
        #expect(message?.contains("b.csv: line 4: unknown label '7'") == true, "\(message ?? "no error")")
    }

    @Test func csvUnclosedQuoteNamesTheLineItOpened() {
        defer { files.remove() }
        let path = files.write("c.csv", "label,text\n1,ok\n0,\"never closed\n1,more\n")
        let message = loadError { try DatasetReader.read(path: path) }
        #expect(message?.contains("c.csv: line 3: a quoted field opened here is never closed") == true, "\(message ?? "no error")")
    }

    @Test func columnsByIndexWithoutHeaderAndPairs() throws {
        defer { files.remove() }
        let path = files.write("p.csv", "\"first a\",\"second a\",1\n\"first b\",\"second b\",0\n")
        let d = try DatasetReader.read(path: path, options: ReadOptions(text: .index(0), pair: .index(1), label: .index(2), labels: .numeric))
        #expect(d.examples == [Example(text: "first a", pair: "second a", label: 1), Example(text: "first b", pair: "second b", label: 0)])
        #expect(d.isPair)
    }

    // MARK: TSV

    @Test func tsvKeepsQuotesLiterallyAndBinarisesRatings() throws {
        defer { files.remove() }
        let tsv = "1\t2.5\tThe ''Conan'' \"remake\"\r\n2\t-0.3\tmeh\r\n3\t-1.0\tbad\r\n4\t0.5\tjust positive\r\n"
        let path = files.write("r.tsv", tsv)
        let d = try DatasetReader.read(path: path, options: ReadOptions(text: .index(2), label: .index(1), labels: .threshold(at: 0, neutralBand: 0.5)))
        #expect(d.examples.map(\.text) == ["The ''Conan'' \"remake\"", "bad", "just positive"])
        #expect(d.examples.map(\.label) == [1, 0, 1])
        #expect(d.report.droppedNeutral == 1)
    }

    @Test func headerColumnsByName() throws {
        defer { files.remove() }
        let path = files.write("h.tsv", "id\tsentence\tgold\n1\tgood\tpositive\n2\tawful\tnegative\n")
        let d = try DatasetReader.read(path: path, options: ReadOptions(text: .name("sentence"), label: .name("gold"),
                                                                        labels: .map(labels: ["negative": 0, "positive": 1])))
        #expect(d.examples == [Example(text: "good", label: 1), Example(text: "awful", label: 0)])
        #expect(d.labelNames == ["negative", "positive"])
    }

    @Test func duplicateTextsAreDroppedCaseInsensitively() throws {
        defer { files.remove() }
        let path = files.write("d.tsv", "text\tlabel\nGood  film\t1\ngood film\t1\nbad\t0\nBAD\t1\n")
        let d = try DatasetReader.read(path: path)
        #expect(d.examples.map(\.text) == ["Good  film", "bad"])
        #expect(d.report.duplicatesDropped == 2)
        #expect(d.report.conflictingDuplicates == 1)
    }

    // MARK: JSONL

    @Test func jsonlObjectsWithStringAndNumberLabels() throws {
        defer { files.remove() }
        let jsonl = "{\"text\": \"fine \\\"quoted\\\" line\\nsecond\", \"label\": 1}\n\n{\"text\": \"worse\", \"label\": 0, \"extra\": [1,2]}\n"
        let path = files.write("j.jsonl", jsonl)
        let d = try DatasetReader.read(path: path, options: ReadOptions(labels: .numeric))
        #expect(d.examples == [Example(text: "fine \"quoted\" line\nsecond", label: 1), Example(text: "worse", label: 0)])

        let path2 = files.write("k.jsonl", "{\"q\": \"a\", \"a\": \"b\", \"y\": \"yes\"}\n{\"q\": \"c\", \"a\": \"d\", \"y\": \"no\"}\n")
        let d2 = try DatasetReader.read(path: path2, options: ReadOptions(text: .name("q"), pair: .name("a"), label: .name("y")))
        #expect(d2.examples == [Example(text: "a", pair: "b", label: 1), Example(text: "c", pair: "d", label: 0)])
    }

    @Test func bomAndCRLFInTSVAndJSONL() throws {
        defer { files.remove() }
        let tsv = files.write("bom.tsv", Data([0xEF, 0xBB, 0xBF] + Array("text\tlabel\r\nup\t1\r\ndown\t0\r\n".utf8)))
        let d = try DatasetReader.read(path: tsv)
        #expect(d.examples == [Example(text: "up", label: 1), Example(text: "down", label: 0)])
        let jsonl = files.write("crlf.jsonl", Data([0xEF, 0xBB, 0xBF] + Array("{\"text\":\"up\",\"label\":1}\r\n{\"text\":\"down\",\"label\":0}\r\n".utf8)))
        #expect(try DatasetReader.read(path: jsonl, options: ReadOptions(labels: .numeric)).examples == d.examples)
    }

    @Test func jsonlBadLineSkippedOrFatal() throws {
        defer { files.remove() }
        let path = files.write("bad.jsonl", "{\"text\": \"a\", \"label\": 0}\nnot json\n{\"text\": \"b\", \"label\": 1}\n[1, 2]\n")
        let d = try DatasetReader.read(path: path)
        #expect(d.examples.count == 2)
        #expect(d.report.skippedCount == 2)
        #expect(d.report.skipped == ["\(path): line 2: is not valid JSON", "\(path): line 4: is not a JSON object"])
        let message = loadError { try DatasetReader.read(path: path, options: ReadOptions(strict: true)) }
        #expect(message?.hasPrefix("\(path): line 2: is not valid JSON") == true, "\(message ?? "no error")")
    }

    // MARK: bad data: each error names the file and the line

    @Test func missingColumnNamesFileAndLine() {
        defer { files.remove() }
        let path = files.write("m.csv", "sentence,label\nhello,1\nbye,0\n")
        let message = loadError { try DatasetReader.read(path: path) }
        #expect(message == "\(path): line 1: no text column named 'text' in the header (columns: sentence, label)")
    }

    @Test func missingFieldInARowIsSkippedOrFatal() throws {
        defer { files.remove() }
        let path = files.write("s.tsv", "text\tlabel\nfine\t1\nshort row\nok\t0\n")
        let d = try DatasetReader.read(path: path)
        #expect(d.examples.count == 2)
        #expect(d.report.skippedCount == 1)
        #expect(d.report.skipped.first == "\(path): line 3: has 1 field, so no label (#1) column")
        let message = loadError { try DatasetReader.read(path: path, options: ReadOptions(strict: true)) }
        #expect(message?.hasPrefix("\(path): line 3: has 1 field, so no label (#1) column") == true, "\(message ?? "no error")")
    }

    @Test func everyRowBadIsAnErrorNamingTheFirst() {
        defer { files.remove() }
        let path = files.write("x.tsv", "a\tb\nc\td\n")
        let message = loadError { try DatasetReader.read(path: path, options: ReadOptions(text: .index(0), label: .index(3))) }
        #expect(message?.contains("no usable rows") == true)
        #expect(message?.contains("\(path): line 1: has 2 fields, so no label (#3) column") == true, "\(message ?? "no error")")
    }

    @Test func unknownLabelNamesFileAndLine() {
        defer { files.remove() }
        let path = files.write("u.csv", "text,label\ngood,pos\nbad,neg\nodd,neutral\n")
        let message = loadError {
            try DatasetReader.read(path: path, options: ReadOptions(labels: .map(labels: ["neg": 0, "pos": 1])))
        }
        #expect(message == "\(path): line 4: unknown label 'neutral': the label map knows 'neg', 'pos'")
    }

    @Test func emptyFileNamesFileAndLine() {
        defer { files.remove() }
        let empty = files.write("e.csv", "")
        #expect(loadError { try DatasetReader.read(path: empty) } == "\(empty): line 1: the file is empty")
        let bomOnly = files.write("f.jsonl", Data([0xEF, 0xBB, 0xBF, 0x0A]))
        #expect(loadError { try DatasetReader.read(path: bomOnly) } == "\(bomOnly): line 1: the file is empty")
        let headerOnly = files.write("g.tsv", "text\tlabel\n")
        #expect(loadError { try DatasetReader.read(path: headerOnly) } == "\(headerOnly): line 2: no data rows after the header")
    }

    @Test func invalidUTF8NamesTheLine() {
        defer { files.remove() }
        var bytes = Array("text\tlabel\nok\t1\n".utf8)
        bytes += [0x62, 0x61, 0xFF, 0x64, 0x09, 0x30, 0x0A]  // "ba\u{FF}d\t0" on line 3
        let path = files.write("i.tsv", Data(bytes))
        let message = loadError { try DatasetReader.read(path: path) }
        #expect(message == "\(path): line 3: invalid UTF-8 (byte 0xFF at byte 3 of the line); save the file as UTF-8")
    }

    @Test func singleClassIsAnError() {
        defer { files.remove() }
        let path = files.write("one.csv", "text,label\na,1\nb,1\nc,1\n")
        let message = loadError { try DatasetReader.read(path: path) }
        #expect(message == "\(path): lines 2–4: all 3 examples have the label '1' (class 0); a classifier needs at least two classes")
    }

    @Test func nonNumericRatingSkippedOrFatal() throws {
        defer { files.remove() }
        let path = files.write("n.tsv", "1\t2.0\tgood\n2\tn/a\twhat\n3\t-2\tbad\n")
        let options = ReadOptions(text: .index(2), label: .index(1), labels: .threshold(at: 0, neutralBand: 0.5))
        let d = try DatasetReader.read(path: path, options: options)
        #expect(d.examples.count == 2)
        #expect(d.report.skipped == ["\(path): line 2: rating 'n/a' is not a number"])
        var strict = options
        strict.strict = true
        #expect(loadError { try DatasetReader.read(path: path, options: strict) }?.hasPrefix("\(path): line 2: rating 'n/a' is not a number") == true)
    }

    @Test func columnByNameWithoutHeaderAndUnknownExtension() {
        defer { files.remove() }
        let path = files.write("q.csv", "a,1\nb,0\n")
        let message = loadError { try DatasetReader.read(path: path, options: ReadOptions(header: false)) }
        #expect(message?.contains("chosen by name ('text') but the file is read without a header row") == true)
        let odd = files.write("q.xlsx", "a,1\n")
        #expect(loadError { try DatasetReader.read(path: odd) }?.contains("cannot tell the format from the extension '.xlsx'") == true)
    }

    @Test func labelRuleAndColumnParsing() throws {
        #expect(try LabelRule.parse("threshold:0:0.5") == .threshold(at: 0, neutralBand: 0.5))
        #expect(try LabelRule.parse("neg=0,pos=1") == .map(labels: ["neg": 0, "pos": 1]))
        #expect(try LabelRule.parse("numeric") == .numeric)
        #expect(throws: FinemixError.self) { try LabelRule.parse("threshold:x") }
        #expect(throws: FinemixError.self) { try LabelRule.parse("pos=one") }
        #expect(ColumnRef.parse("2") == .index(2))
        #expect(ColumnRef.parse("text") == .name("text"))
    }
}
