// kohl-studio's entry point: parses the command line, makes the main window, and in
// --screenshot mode captures it to a PNG and exits (docs and the GUI tests use that).
#include <cstdio>

#include <wx/app.h>
#include <wx/cmdline.h>
#include <wx/timer.h>

#include "kohl/core/log.hpp"
#include "kohl/gui/main_frame.hpp"
#include "kohl/gui/screenshot.hpp"

namespace kohl::gui {

namespace {
// The screenshot's client-area size in pixels: fixed, so images in docs and test output
// compare across runs.
const wxSize kScreenshotSize(1100, 700);
// Time for the window to be mapped, laid out and painted before it is read back.
constexpr int kScreenshotDelayMs = 600;
}  // namespace

class StudioApp : public wxApp {
 public:
  void OnInitCmdLine(wxCmdLineParser& parser) override {
    wxApp::OnInitCmdLine(parser);
    parser.AddLongOption("screenshot", "show the window, save its client area to FILE (PNG) and exit",
                         wxCMD_LINE_VAL_STRING);
    parser.AddParam("PROJECT", wxCMD_LINE_VAL_STRING, wxCMD_LINE_PARAM_OPTIONAL);
  }

  bool OnCmdLineParsed(wxCmdLineParser& parser) override {
    if (!wxApp::OnCmdLineParsed(parser)) return false;
    parser.Found("screenshot", &screenshot_path_);
    if (parser.GetParamCount() > 0) project_path_ = parser.GetParam(0);
    return true;
  }

  bool OnInit() override {
    if (!wxApp::OnInit()) return false;  // parses the command line
    frame_ = new MainFrame(project_path_);
    if (screenshot_path_.empty()) {
      frame_->Show();
      return true;
    }

    // Unattended: an assertion must not open a dialog nobody will close.
    wxSetAssertHandler([](const wxString& file, int line, const wxString& func, const wxString& cond,
                          const wxString& msg) {
      std::fprintf(stderr, "wx assertion %s failed in %s (%s:%d): %s\n", static_cast<const char*>(cond.utf8_str()),
                   static_cast<const char*>(func.utf8_str()), static_cast<const char*>(file.utf8_str()), line,
                   static_cast<const char*>(msg.utf8_str()));
    });
    frame_->SetClientSize(kScreenshotSize);
    frame_->Show();
    timer_.Bind(wxEVT_TIMER, [this](wxTimerEvent&) { take_screenshot(); });
    timer_.StartOnce(kScreenshotDelayMs);
    return true;
  }

  int OnRun() override {
    const int rc = wxApp::OnRun();
    return rc != 0 ? rc : exit_code_;
  }

 private:
  void take_screenshot() {
    wxString error;
    if (save_client_area_png(frame_, screenshot_path_, &error)) {
      std::printf("saved %s\n", static_cast<const char*>(screenshot_path_.utf8_str()));
    } else {
      std::fprintf(stderr, "kohl-studio: screenshot failed: %s\n", static_cast<const char*>(error.utf8_str()));
      exit_code_ = 1;
    }
    frame_->Close(true);  // the last top-level window: the main loop ends
  }

  wxString project_path_;
  wxString screenshot_path_;
  MainFrame* frame_ = nullptr;
  wxTimer timer_;
  int exit_code_ = 0;
};

}  // namespace kohl::gui

wxIMPLEMENT_APP(kohl::gui::StudioApp);
