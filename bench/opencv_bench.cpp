// OpenCV DNN side of bench/bench-models.py: batch-1 latency of one model
// at one thread count. Compiled by the script:
//   g++ -O2 -o opencv_bench bench/opencv_bench.cpp \
//       $(pkg-config --cflags --libs opencv4)
//   opencv_bench MODEL INPUT.bin OUTPUT.bin THREADS WARMUP REPS MIN_TIME
//       D0 D1 ...
// cv::dnn::readNetFromONNX, default backend and CPU target,
// cv::setNumThreads (THREADS). Feeds INPUT.bin (float32, shape D0 D1 ...)
// to the first input, runs WARMUP forwards, then timed forwards until REPS
// and MIN_TIME seconds are done; writes output 0 to OUTPUT.bin and prints
// one JSON line (or {"error": ...} and exit status 1).
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

static double
now_s ()
{
  return std::chrono::duration<double> (
      std::chrono::steady_clock::now ().time_since_epoch ()).count ();
}

static void
print_error (const std::string & msg)
{
  std::string s;
  for (char c : msg) {
    if (c == '"' || c == '\\')
      s += '\\';
    if (c == '\n')
      s += "\\n";
    else if ((unsigned char) c >= 0x20)
      s += c;
  }
  std::printf ("{\"error\": \"%s\"}\n", s.c_str ());
}

int
main (int argc, char **argv)
{
  if (argc < 9) {
    std::fprintf (stderr, "usage: %s MODEL INPUT.bin OUTPUT.bin THREADS "
        "WARMUP REPS MIN_TIME D0 D1 ...\n", argv[0]);
    return 2;
  }
  try {
    int threads = std::atoi (argv[4]), warmup = std::atoi (argv[5]);
    int reps = std::atoi (argv[6]);
    double min_time = std::atof (argv[7]);
    std::vector<int> dims;
    size_t count = 1;
    for (int i = 8; i < argc; i++) {
      dims.push_back (std::atoi (argv[i]));
      count *= (size_t) dims.back ();
    }
    std::vector<float> data (count);
    std::ifstream in (argv[2], std::ios::binary);
    if (!in.read ((char *) data.data (), (std::streamsize) (count * 4))) {
      print_error (std::string (argv[2]) + ": short read");
      return 1;
    }
    cv::setNumThreads (threads);
    double t0 = now_s ();
    cv::dnn::Net net = cv::dnn::readNetFromONNX (argv[1]);
    net.setPreferableBackend (cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget (cv::dnn::DNN_TARGET_CPU);
    cv::Mat blob ((int) dims.size (), dims.data (), CV_32F, data.data ());
    net.setInput (blob);
    cv::Mat out;
    for (int i = 0; i < warmup; i++)
      out = net.forward ();
    double load_ms = 1e3 * (now_s () - t0);
    std::vector<double> t;
    double start = now_s ();
    while (t.size () < 100000 && ((int) t.size () < reps
            || now_s () - start < min_time)) {
      double s = now_s ();
      net.setInput (blob);
      out = net.forward ();
      t.push_back (1e3 * (now_s () - s));
    }
    std::sort (t.begin (), t.end ());
    size_t n = t.size ();
    double med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    double mean = 0;
    for (double x : t)
      mean += x;
    mean /= (double) n;
    cv::Mat o = out.isContinuous () ? out : out.clone ();
    std::ofstream of (argv[3], std::ios::binary);
    of.write ((const char *) o.ptr<float> (), (std::streamsize) (o.total () * 4));
    std::printf ("{\"reps\": %zu, \"median_ms\": %.4f, \"p90_ms\": %.4f, "
        "\"min_ms\": %.4f, \"mean_ms\": %.4f, \"load_warmup_ms\": %.2f, "
        "\"threads\": %d, \"opencv_version\": \"%s\"}\n", n, med,
        t[(size_t) (0.9 * (double) (n - 1) + 0.5)], t[0], mean, load_ms,
        cv::getNumThreads (), CV_VERSION);
  } catch (const std::exception & e) {
    print_error (e.what ());
    return 1;
  }
  return 0;
}
