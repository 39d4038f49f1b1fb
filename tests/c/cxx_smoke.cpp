// A C++ translation unit that includes the C header (inside its extern "C"
// guards) and calls it through RAII handles. Built with -std=c++11 -Wall
// -Wextra -Werror -pedantic by scripts/check_c_abi.sh.
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "relaxcat.h"

namespace {

void check(relaxcat_status status, const char *what) {
    if (status != RELAXCAT_OK) {
        throw std::runtime_error(std::string(what) + ": " + relaxcat_status_str(status) + ": " +
                                 relaxcat_last_error_message());
    }
}

struct DistDeleter {
    void operator()(relaxcat_dist_f32 *d) const { relaxcat_dist_f32_free(d); }
};
struct GeneratorDeleter {
    void operator()(relaxcat_generator *g) const { relaxcat_generator_free(g); }
};
struct ContextDeleter {
    void operator()(relaxcat_context *c) const { relaxcat_context_free(c); }
};
using Dist = std::unique_ptr<relaxcat_dist_f32, DistDeleter>;
using Generator = std::unique_ptr<relaxcat_generator, GeneratorDeleter>;
using Context = std::unique_ptr<relaxcat_context, ContextDeleter>;

}  // namespace

int main() {
    try {
        const std::size_t batch = 2, k = 3, samples = 5, rows = samples * batch;
        const std::vector<float> probs = {0.2f, 0.3f, 0.5f, 0.6f, 0.3f, 0.1f};
        const std::vector<float> temperature = {0.3f, 3.0f};

        relaxcat_context *raw_ctx = nullptr;
        check(relaxcat_context_new(2, nullptr, &raw_ctx), "context_new");
        Context ctx(raw_ctx);
        relaxcat_dist_f32 *raw = nullptr;
        check(relaxcat_dist_f32_new(ctx.get(), batch, k, temperature.data(), temperature.size(), probs.data(), k,
                                    nullptr, 0, 0, &raw),
              "dist_f32_new");
        Dist dist(raw);
        relaxcat_generator *raw_gen = nullptr;
        check(relaxcat_generator_new(7, &raw_gen), "generator_new");
        Generator gen(raw_gen);

        std::vector<float> y(rows * k), lp(rows), x(rows * k);
        check(relaxcat_dist_f32_rsample(dist.get(), gen.get(), samples, y.data(), k), "rsample");
        check(relaxcat_dist_f32_log_prob(dist.get(), rows, y.data(), k, lp.data()), "log_prob");
        check(relaxcat_dist_f32_rsample_log_rows(dist.get(), 7, 0, 0, rows, x.data(), k), "rsample_log_rows");
        for (std::size_t i = 0; i < rows * k; i++) {
            if (std::fabs(std::exp(x[i]) - y[i]) > 1e-5f) throw std::runtime_error("exp(x) != y");
        }
        for (float v : lp) {
            if (!std::isfinite(v)) throw std::runtime_error("log_prob not finite");
        }
        // An error is reported, not thrown across the boundary.
        if (relaxcat_dist_f32_log_prob(dist.get(), 3, y.data(), k, lp.data()) != RELAXCAT_ERROR_INVALID_SHAPE) {
            throw std::runtime_error("3 value rows for 2 batch rows must be INVALID_SHAPE");
        }
        std::printf("C++: %zu samples scored, first log_prob %.4f; 1 passed, 0 failed\n", rows,
                    static_cast<double>(lp[0]));
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "C++ test failed: %s\n0 passed, 1 failed\n", e.what());
        return 1;
    }
}
