/**
 * The "model" of the examples: a sentiment classifier. It is built from the AFINN-165 word list
 * that ships inside the `sentiment` package, plus a small lexicon of ride words (no download: the
 * weights are the word lists). Like a real model it is an object with methods — not data — so it
 * belongs in `cacheResource`, loaded once and shared, never copied.
 */
import { createRequire } from 'node:module';
import Sentiment from 'sentiment';

/** Words riders use that AFINN scores differently or not at all. */
export const RIDE_LEXICON: Readonly<Record<string, number>> = {
  spotless: 3, punctual: 2, smooth: 2, polite: 2, clean: 2, quick: 1, shortcut: 1, helpful: 2,
  rude: -3, detour: -2, late: -2, dirty: -2, slow: -1, expensive: -1, forever: -1, cancelled: -2, unsafe: -3, broken: -2,
};

export interface Prediction {
  label: 'positive' | 'negative' | 'neutral';
  /** Sum of the word scores. */
  score: number;
  /** Score per word of the text. */
  comparative: number;
  positive: string[];
  negative: string[];
}

const LANGUAGE = 'en-rides';
const require = createRequire(import.meta.url);

export class SentimentModel {
  readonly #analyzer: Sentiment;
  /** How many words the model knows. */
  readonly vocabularySize: number;
  /** Counts predictions: shows that every route uses this one instance. */
  predictions = 0;

  constructor(lexicon: Readonly<Record<string, number>>) {
    const english = require('sentiment/languages/en/index.js') as Sentiment.LanguageModule;
    const labels = { ...english.labels, ...lexicon };
    this.#analyzer = new Sentiment();
    this.#analyzer.registerLanguage(LANGUAGE, { labels, scoringStrategy: english.scoringStrategy });
    this.vocabularySize = Object.keys(labels).length;
  }

  predict(text: string): Prediction {
    this.predictions++;
    const { score, comparative, positive, negative } = this.#analyzer.analyze(text, { language: LANGUAGE });
    const label = score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral';
    return { label, score, comparative: Number(comparative.toFixed(3)), positive, negative };
  }
}

/** Loads the model: the part `cacheResource` makes happen once per process. */
export function loadSentimentModel(lexicon: Readonly<Record<string, number>> = RIDE_LEXICON): SentimentModel {
  return new SentimentModel(lexicon);
}
