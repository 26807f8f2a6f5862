// cairo, loaded at run time (dlopen of libcairo.so.2) so that the library,
// the wrapper and the Python wheel start and measure where cairo is not
// installed; only the report needs it. The header (Debian's libcairo2-dev)
// is used at build time for the types and signatures.
#pragma once

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>

#include <string>

namespace carbontracker::report {

#define CT_CAIRO_FUNCTIONS(X)            \
  X(cairo_pdf_surface_create)            \
  X(cairo_svg_surface_create)            \
  X(cairo_svg_surface_create_for_stream) \
  X(cairo_image_surface_create)          \
  X(cairo_surface_write_to_png)          \
  X(cairo_surface_finish)                \
  X(cairo_surface_destroy)               \
  X(cairo_surface_status)                \
  X(cairo_status_to_string)              \
  X(cairo_create)                        \
  X(cairo_destroy)                       \
  X(cairo_status)                        \
  X(cairo_show_page)                     \
  X(cairo_save)                          \
  X(cairo_restore)                       \
  X(cairo_paint)                         \
  X(cairo_set_source_rgb)                \
  X(cairo_set_line_width)                \
  X(cairo_set_dash)                      \
  X(cairo_move_to)                       \
  X(cairo_line_to)                       \
  X(cairo_rectangle)                     \
  X(cairo_arc)                           \
  X(cairo_stroke)                        \
  X(cairo_fill)                          \
  X(cairo_fill_preserve)                 \
  X(cairo_new_path)                      \
  X(cairo_clip)                          \
  X(cairo_select_font_face)              \
  X(cairo_set_font_size)                 \
  X(cairo_show_text)                     \
  X(cairo_text_extents)                  \
  X(cairo_translate)                     \
  X(cairo_scale)                         \
  X(cairo_rotate)

// The functions the report uses, each resolved from libcairo.so.2.
struct CairoApi {
#define CT_CAIRO_MEMBER(name) decltype(&::name) name = nullptr;
  CT_CAIRO_FUNCTIONS(CT_CAIRO_MEMBER)
#undef CT_CAIRO_MEMBER
};

// Loads libcairo.so.2 once (thread-safe) and returns its functions; throws
// Error(kIo) naming the package to install when the library or one
// of the functions is missing.
const CairoApi& cairo();

}  // namespace carbontracker::report
