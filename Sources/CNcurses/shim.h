// SwiftPM drops pkg-config's -D_XOPEN_SOURCE, so wide-character ncurses must be asked for here.
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// LINES, COLS, stdscr and the ACS_* characters are macros or mutable globals that Swift 6 will
// not import; these small functions give Swift a safe way to read them.
static inline int fm_lines(void) { return LINES; }
static inline int fm_cols(void) { return COLS; }
static inline WINDOW *fm_stdscr(void) { return stdscr; }
static inline int fm_colors(void) { return COLORS; }
static inline int fm_color_pairs(void) { return COLOR_PAIRS; }
