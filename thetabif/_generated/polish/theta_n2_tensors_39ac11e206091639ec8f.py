# ruff: noqa
import math


def B(x, y, eta, J, Delta, tau, I_ext):
    B_t0 = 1/tau
    B_t1 = B_t0*J/math.pi
    B_t2 = B_t1*y
    B_t3 = x - 2
    B_t4 = (4/3)*B_t3
    B_t5 = x + 1
    B_t6 = (2/3)*B_t5
    B_t7 = B_t2*B_t6 + Delta
    B_t8 = y**2
    B_t9 = B_t1*B_t8
    B_t10 = (1/3)*B_t1
    B_t11 = B_t10*(-B_t8 + x**2 - 4*x + 3) + I_ext + eta - 1
    B_t12 = -B_t0*(B_t1*B_t3*B_t6 + B_t11 - 2/3*B_t9)
    B_t13 = -B_t10*(-B_t5**2 + B_t8) + B_t11
    B_t14 = -B_t0*((2/3)*B_t2*B_t3 + B_t7)
    return [-B_t0*(B_t2*B_t4 + B_t7), B_t12, B_t12, B_t0*(2*B_t2*B_t5 + Delta), B_t0*(B_t1*B_t4*B_t5 + B_t13), B_t14, B_t14, -B_t0*(B_t13 - 4/3*B_t9)]


def C(x, y, eta, J, Delta, tau, I_ext):
    C_t0 = J/(math.pi*tau**2)
    C_t1 = 2*C_t0
    C_t2 = C_t1*y
    C_t3 = (2/3)*C_t0
    C_t4 = -C_t3*(3*x - 3)
    C_t5 = 2*x - 1
    C_t6 = C_t0*y
    C_t7 = -4/3*C_t6
    C_t8 = -C_t3*C_t5
    return [-C_t2, C_t4, C_t4, C_t2, C_t4, C_t2, C_t2, C_t1*(x + 1), C_t1*C_t5, C_t7, C_t7, C_t8, C_t7, C_t8, C_t8, 4*C_t6]
