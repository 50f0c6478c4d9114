// The keystroke loop of bench/linkage_timing.ts for a Chromium page: bundled as an IIFE that
// sets ``window.cairnLinkage`` (bench/forms.py loads it into a blank page).
import { keystrokes } from './linkage_timing'

;(globalThis as unknown as { cairnLinkage: unknown }).cairnLinkage = { keystrokes }
