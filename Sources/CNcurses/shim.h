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

// ---- TUI terminal edge -------------------------------------------------------------------------
#include <signal.h>
#include <termios.h>
#include <unistd.h>
#include <string.h>

// Key codes that are function-like macros.
static inline int fm_key_f(int n) { return KEY_F(n); }

// Mouse masks are built from NCURSES_MOUSE_MASK expressions Swift cannot import.
static inline mmask_t fm_mouse_all(void) { return ALL_MOUSE_EVENTS; }
static inline int fm_mouse_is_click(mmask_t s) {
    return (s & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON1_RELEASED)) != 0;
}
static inline int fm_mouse_is_wheel_up(mmask_t s) { return (s & BUTTON4_PRESSED) != 0; }
static inline int fm_mouse_is_wheel_down(mmask_t s) {
#ifdef BUTTON5_PRESSED
    return (s & BUTTON5_PRESSED) != 0;
#else
    return 0;
#endif
}

// One cell out: flags bit0 bold, bit1 dim, bit2 underline, bit3 reverse. Doing the cchar_t dance
// in C keeps the blit loop free of Swift tuple juggling for the wchar_t array.
static inline int fm_put_cell(int y, int x, int ch, int flags, int pair) {
    wchar_t w[2] = { (wchar_t)ch, 0 };
    attr_t a = A_NORMAL;
    if (flags & 1) a |= A_BOLD;
    if (flags & 2) a |= A_DIM;
    if (flags & 4) a |= A_UNDERLINE;
    if (flags & 8) a |= A_REVERSE;
    cchar_t c;
    setcchar(&c, w, a, (short)pair, NULL);
    return mvwadd_wch(stdscr, y, x, &c);
}

// Signals. The handler only records the signal; the UI loop (which polls every few ms) restores
// the terminal with endwin and exits. A second signal, or a fatal one, restores the tty with
// async-signal-safe calls only (tcsetattr, write) and leaves at once.
// State lives in function-local statics: Swift's importer emits inline functions into the
// module that calls them, but not file-scope static variables.
static inline volatile sig_atomic_t *fm_signal_slot(void) { static volatile sig_atomic_t s = 0; return &s; }
static inline volatile sig_atomic_t *fm_have_termios_slot(void) { static volatile sig_atomic_t s = 0; return &s; }
static inline struct termios *fm_termios_slot(void) { static struct termios t; return &t; }

static inline void fm_save_termios(void) {
    if (tcgetattr(STDIN_FILENO, fm_termios_slot()) == 0) *fm_have_termios_slot() = 1;
}
static inline void fm_emergency_restore(void) {
    if (*fm_have_termios_slot()) tcsetattr(STDIN_FILENO, TCSANOW, fm_termios_slot());
    static const char seq[] = "\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[0m\033[?25h\033[?1049l\r\n";
    ssize_t r = write(STDOUT_FILENO, seq, sizeof seq - 1);
    (void)r;
}
static inline void fm_on_signal(int sig) {
    if (*fm_signal_slot()) { fm_emergency_restore(); _exit(128 + sig); }
    *fm_signal_slot() = sig;
}
static inline void fm_on_fatal(int sig) {
    fm_emergency_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}
static inline void fm_install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = fm_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = fm_on_fatal;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);
}
static inline void fm_reset_signal_handlers(void) {
    signal(SIGINT, SIG_DFL); signal(SIGTERM, SIG_DFL); signal(SIGHUP, SIG_DFL);
    signal(SIGSEGV, SIG_DFL); signal(SIGBUS, SIG_DFL); signal(SIGILL, SIG_DFL);
    signal(SIGFPE, SIG_DFL); signal(SIGABRT, SIG_DFL); signal(SIGTRAP, SIG_DFL);
}
/// Returns the pending signal number (0 if none) and clears it.
static inline int fm_take_signal(void) { int s = *fm_signal_slot(); *fm_signal_slot() = 0; return s; }

// ---- Can this terminal host the screen? ---------------------------------------------------------
// 0: yes; 1: TERM names no terminal in the terminfo database (initscr would print its own
// message and exit); 2: the terminal cannot address the cursor (TERM=dumb, hardcopy), so a
// full-screen program would only scroll garbage. Checked before initscr touches the terminal.
extern int setupterm(const char *, int, int *);
static inline int fm_terminal_check(void) {
    int err = 0;
    if (setupterm((const char *)0, STDOUT_FILENO, &err) != 0) return 1;
    char *cup = tigetstr("cup");
    if (cup == (char *)0 || cup == (char *)-1) return 2;
    return 0;
}
