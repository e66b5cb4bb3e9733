/* Template of thetabif's compiled integrator: Dormand-Prince 8(5,3) with step-size
 * control and its 7th-order dense output (Hairer, Norsett & Wanner, Solving ODEs I,
 * II.5 and II.6). thetabif.codegen.numeric puts the coefficient tables (A, B, C, D,
 * E3, E5), the populations' state indices (NPOP, POP_STATES) and the model's rhs()
 * above the marker line and compiles the result into a
 * shared library, cached on disk.
 *
 * Steps are chosen by the error control and shortened only to land exactly on the
 * last requested time (the end of a phase, where the input may switch); outputs in
 * between come from the dense output, whose error (order 7 in the step) is far
 * below the tolerance-driven error of the steps themselves.
 */
/* --- template --- */
#include <math.h>
#include <string.h>

#define NSTAGES 12
#define NEXT 16
#define MAXDIM 32

enum { ST_OK = 0, ST_MAX_STEPS = 1, ST_STEP_TOO_SMALL = 2, ST_NONFINITE = 3,
       ST_LEFT_DISK = 4, ST_AT_MINUS_ONE = 5, ST_BAD_DIM = 6 };

static int bad_state(const double *y, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(y[i])) return ST_NONFINITE;
    for (int k = 0; k < NPOP; k++) {  /* each population's z = (x, y) */
        double x = y[POP_STATES[2 * k]], v = y[POP_STATES[2 * k + 1]];
        if (x * x + v * v > 1.0 + 1e-9) return ST_LEFT_DISK;
        if ((1.0 + x) * (1.0 + x) + v * v < 1e-20) return ST_AT_MINUS_ONE;
    }
    return ST_OK;
}

/* Dense output on [t_old, t_old + h]: fills F (7 x n) from the stages in K. */
static void dense_coefficients(int n, double K[NEXT][MAXDIM], const double *p, double t_old,
                               const double *y_old, const double *y_new, double h,
                               double F[7][MAXDIM])
{
    double ytmp[MAXDIM];
    for (int s = NSTAGES + 1; s < NEXT; s++) {
        for (int i = 0; i < n; i++) {
            double acc = 0.0;
            for (int j = 0; j < s; j++) acc += A[s][j] * K[j][i];
            ytmp[i] = y_old[i] + h * acc;
        }
        rhs(ytmp, p, K[s]);
    }
    (void)t_old;
    for (int i = 0; i < n; i++) {
        double dy = y_new[i] - y_old[i];
        F[0][i] = dy;
        F[1][i] = h * K[0][i] - dy;
        F[2][i] = 2.0 * dy - h * (K[NSTAGES][i] + K[0][i]);
        for (int r = 0; r < 4; r++) {
            double acc = 0.0;
            for (int j = 0; j < NEXT; j++) acc += D[r][j] * K[j][i];
            F[3 + r][i] = h * acc;
        }
    }
}

static void dense_eval(int n, double F[7][MAXDIM], const double *y_old, double x, double *out)
{
    for (int i = 0; i < n; i++) {
        double y = 0.0;
        for (int m = 0; m < 7; m++) {
            y += F[6 - m][i];
            y *= (m % 2 == 0) ? x : (1.0 - x);
        }
        out[i] = y + y_old[i];
    }
}

/* Integrate from t0 through the increasing times targets[0..ntarget-1]; the last
 * one is reached exactly by a step, the others by dense output.
 * states (ntarget x n, row-major) receives the state at each target.
 * info[0] = time reached (failure time), info[1] = steps, info[2] = last step size.
 * Returns a status code (ST_*). */
int integrate(int n, const double *y0, const double *p, double t0, const double *targets,
              int ntarget, double rtol, double atol, double h0, long max_steps,
              double *states, double *info)
{
    double K[NEXT][MAXDIM], F[7][MAXDIM], y[MAXDIM], ynew[MAXDIM], ytmp[MAXDIM];
    if (n > MAXDIM || n < 2) return ST_BAD_DIM;
    memcpy(y, y0, sizeof(double) * n);
    rhs(y, p, K[0]);
    double t = t0, h = h0;
    if (h <= 0.0) {
        double d0 = 0.0, d1 = 0.0;
        for (int i = 0; i < n; i++) {
            double sc = atol + fabs(y[i]) * rtol;
            d0 += (y[i] / sc) * (y[i] / sc);
            d1 += (K[0][i] / sc) * (K[0][i] / sc);
        }
        d0 = sqrt(d0 / n);
        d1 = sqrt(d1 / n);
        h = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    }
    long steps = 0;
    int k = 0;
    while (k < ntarget && targets[k] <= t0) {
        memcpy(states + (long)k * n, y, sizeof(double) * n);
        k++;
    }
    int status = ST_OK;
    double t_end = ntarget > 0 ? targets[ntarget - 1] : t0;
    while (k < ntarget) {
        if (steps >= max_steps) { status = ST_MAX_STEPS; break; }
        double step = h;
        int landing = 0;
        double t_close = 1e-14 * fmax(1.0, fabs(t_end));
        if (t_end - t <= t_close) {
            /* within rounding of the end (closer than any step may be): arrived; the
               state moves by |f| * 1e-14 at most over what is left */
            while (k < ntarget) {
                memcpy(states + (long)k * n, y, sizeof(double) * n);
                k++;
            }
            t = t_end;
            break;
        }
        if (t + step >= t_end - t_close) {
            step = t_end - t;
            landing = 1;
        }
        if (step < 1e-14 * fmax(1.0, fabs(t))) { status = ST_STEP_TOO_SMALL; break; }
        for (int s = 1; s < NSTAGES; s++) {
            for (int i = 0; i < n; i++) {
                double acc = 0.0;
                for (int j = 0; j < s; j++) acc += A[s][j] * K[j][i];
                ytmp[i] = y[i] + step * acc;
            }
            rhs(ytmp, p, K[s]);
        }
        for (int i = 0; i < n; i++) {
            double acc = 0.0;
            for (int j = 0; j < NSTAGES; j++) acc += B[j] * K[j][i];
            ynew[i] = y[i] + step * acc;
        }
        rhs(ynew, p, K[NSTAGES]);
        double err5 = 0.0, err3 = 0.0;
        for (int i = 0; i < n; i++) {
            double sc = atol + fmax(fabs(y[i]), fabs(ynew[i])) * rtol;
            double e5 = 0.0, e3 = 0.0;
            for (int j = 0; j <= NSTAGES; j++) {
                e5 += E5[j] * K[j][i];
                e3 += E3[j] * K[j][i];
            }
            err5 += (e5 / sc) * (e5 / sc);
            err3 += (e3 / sc) * (e3 / sc);
        }
        double err = (err5 == 0.0 && err3 == 0.0)
                         ? 0.0 : fabs(step) * err5 / sqrt((err5 + 0.01 * err3) * n);
        steps++;
        if (err <= 1.0) {
            int bad = bad_state(ynew, n);
            if (bad != ST_OK) { t += step; status = bad; break; }
            double t_new = landing ? t_end : t + step;
            int dense_ready = 0;
            while (k < ntarget && targets[k] <= t_new + 1e-14 * fabs(t_new)) {
                if (targets[k] >= t_new - 1e-14 * fabs(t_new)) {
                    memcpy(states + (long)k * n, ynew, sizeof(double) * n);
                } else {
                    if (!dense_ready) {
                        dense_coefficients(n, K, p, t, y, ynew, step, F);
                        dense_ready = 1;
                    }
                    dense_eval(n, F, y, (targets[k] - t) / step, states + (long)k * n);
                }
                k++;
            }
            t = t_new;
            memcpy(y, ynew, sizeof(double) * n);
            memcpy(K[0], K[NSTAGES], sizeof(double) * n);
            double factor = (err == 0.0) ? 10.0 : fmin(10.0, 0.9 * pow(err, -1.0 / 8.0));
            if (!landing || step >= h) h = step * factor;
            else if (factor > 1.0) h = fmax(h, step * factor);
        } else {
            h = step * fmax(0.2, 0.9 * pow(err, -1.0 / 8.0));
        }
    }
    info[0] = t;
    info[1] = (double)steps;
    info[2] = h;
    return status;
}
