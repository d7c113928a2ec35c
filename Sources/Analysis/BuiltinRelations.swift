import Core
import Foundation
import Tokenizer

/// The paper's 20 relations, with datasets written for this project.
public enum BuiltinRelations {
    public struct Entry: Sendable {
        public let name: String
        public let title: String
        public let category: String
    }

    public static let catalog: [Entry] = [
        Entry(name: "copying", title: "Copying", category: "algorithmic"),
        Entry(name: "name_copying", title: "Name Copying", category: "algorithmic"),
        Entry(name: "word_to_first_letter", title: "Word to first letter", category: "algorithmic"),
        Entry(name: "word_to_last_letter", title: "Word to last letter", category: "algorithmic"),
        Entry(name: "year_to_following", title: "Year to following", category: "algorithmic"),
        Entry(name: "country_to_capital", title: "Country to capital", category: "knowledge"),
        Entry(name: "country_to_language", title: "Country to language", category: "knowledge"),
        Entry(name: "object_to_superclass", title: "Object to superclass", category: "knowledge"),
        Entry(name: "product_by_company", title: "Product by company", category: "knowledge"),
        Entry(name: "work_to_location", title: "Work to location", category: "knowledge"),
        Entry(name: "adjective_to_comparative", title: "Adjective to comparative", category: "linguistic"),
        Entry(name: "adjective_to_superlative", title: "Adjective to superlative", category: "linguistic"),
        Entry(name: "noun_to_pronoun", title: "Noun to pronoun", category: "linguistic"),
        Entry(name: "verb_to_past_tense", title: "Verb to past tense", category: "linguistic"),
        Entry(name: "word_to_antonym", title: "Word to antonym", category: "linguistic"),
        Entry(name: "word_to_compound", title: "Word to compound", category: "linguistic"),
        Entry(name: "word_to_homophone", title: "Word to homophone", category: "linguistic"),
        Entry(name: "word_to_synonym", title: "Word to synonym", category: "linguistic"),
        Entry(name: "english_to_french", title: "English to French", category: "translation"),
        Entry(name: "english_to_spanish", title: "English to Spanish", category: "translation"),
    ]

    public static var names: [String] { catalog.map(\.name) }

    public static func load(_ name: String) throws -> Relation {
        guard let entry = catalog.first(where: { $0.name == name }) else {
            throw RelationError.unknownBuiltin(name: Excerpt.short(name), known: names)
        }
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Relations") else {
            throw RelationError.builtinMissing(name: name)
        }
        return try Relation.load(
            file: url.path, name: entry.name, title: entry.title, category: entry.category, isBuiltin: true)
    }

    public static func loadAll() throws -> [Relation] { try names.map(load) }
}
