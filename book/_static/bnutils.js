// Runs before the theme's deferred scripts: on a first visit (nothing in localStorage) the theme
// finds an empty colour mode and logs a console error; start from "auto" instead.
if (!document.documentElement.dataset.mode) { document.documentElement.dataset.mode = "auto"; }
