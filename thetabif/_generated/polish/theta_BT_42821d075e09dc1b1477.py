# ruff: noqa
import math


def g(x, y, eta, J, Delta, tau, I_ext):
    g_t0 = 2*x
    g_t1 = y**2
    g_t2 = (x + 1)**2
    g_t3 = -g_t1 + g_t2
    g_t4 = g_t0 + 2
    g_t5 = -g_t1 - x**2 + 1
    g_t6 = 1/tau
    g_t7 = 1/math.pi
    g_t8 = g_t1 + g_t2
    g_t9 = J*g_t6*g_t7/g_t8
    g_t10 = I_ext + eta + g_t5*g_t9
    g_t11 = g_t10*g_t4
    g_t12 = (1/2)*g_t6
    g_t13 = Delta*g_t4
    g_t14 = 2*y
    g_t15 = g_t8**(-2)
    g_t16 = -J*g_t14*g_t15*g_t5*g_t6*g_t7 - g_t14*g_t9
    g_t17 = g_t10*g_t14 + g_t13 - 2*y
    g_t18 = g_t16*g_t3 - g_t17
    g_t19 = -J*g_t15*g_t4*g_t5*g_t6*g_t7 - g_t0*g_t9
    g_t20 = g_t4*y
    g_t21 = -g_t17 - g_t19*g_t20
    g_t22 = (1/4)/tau**2
    g_t23 = -Delta*g_t14 - g_t0 + g_t11 + 2
    return [g_t12*(-Delta*g_t3 - g_t11*y + y*(g_t0 - 2)), g_t12*(g_t1 + g_t10*g_t3 - g_t13*y - (x - 1)**2), g_t18*g_t21*g_t22 - g_t22*(-g_t16*g_t20 - g_t23)*(g_t19*g_t3 + g_t23), -g_t12*g_t18 - g_t12*g_t21]


def dg(x, y, eta, J, Delta, tau, I_ext):
    d_t0 = 2*x
    d_t1 = d_t0 + 2
    d_t2 = 1/tau
    d_t3 = 1/math.pi
    d_t4 = y**2
    d_t5 = (x + 1)**2
    d_t6 = d_t4 + d_t5
    d_t7 = d_t3/d_t6
    d_t8 = d_t2*d_t7
    d_t9 = J*d_t8
    d_t10 = -d_t1
    d_t11 = d_t6**(-2)
    d_t12 = -d_t4 - x**2 + 1
    d_t13 = J*d_t10*d_t11*d_t12*d_t2*d_t3 - d_t0*d_t9
    d_t14 = d_t1*d_t13
    d_t15 = J*d_t12
    d_t16 = d_t15*d_t8
    d_t17 = I_ext + d_t16 + eta
    d_t18 = 2*y
    d_t19 = Delta*d_t1 + d_t17*d_t18 - 2*y
    d_t20 = -d_t14*y - d_t19
    d_t21 = (1/2)*d_t2
    d_t22 = d_t18*d_t2
    d_t23 = d_t22*d_t7
    d_t24 = d_t11*d_t3
    d_t25 = d_t22*d_t24
    d_t26 = -J*d_t23 - d_t15*d_t25
    d_t27 = d_t1*d_t26
    d_t28 = -Delta*d_t18 - d_t0 + d_t1*d_t17 + 2
    d_t29 = -d_t27*y - d_t28
    d_t30 = d_t1*y
    d_t31 = tau**(-2)
    d_t32 = (1/2)*d_t31
    d_t33 = d_t12*d_t32*d_t7
    d_t34 = -d_t4 + d_t5
    d_t35 = d_t13*d_t34 + d_t28
    d_t36 = -d_t19 + d_t26*d_t34
    d_t37 = 2*Delta
    d_t38 = 4*y
    d_t39 = 2*d_t9
    d_t40 = 4*x
    d_t41 = d_t2*d_t24
    d_t42 = 2*d_t15*d_t41
    d_t43 = -d_t40 - 4
    d_t44 = d_t6**(-3)
    d_t45 = J*d_t10*d_t12*d_t2*d_t3*d_t43*d_t44 - J*d_t10*d_t40*d_t41 - d_t39 - d_t42
    d_t46 = -d_t13*d_t38 - d_t30*d_t45 - d_t37
    d_t47 = (1/4)*d_t31
    d_t48 = J*d_t10*d_t25 - 4*J*d_t11*d_t2*d_t3*x*y
    d_t49 = -d_t15*d_t22*d_t3*d_t43*d_t44 - d_t48
    d_t50 = -d_t1*d_t26 + d_t13*d_t18 + d_t37
    d_t51 = d_t34*d_t49 - d_t50
    d_t52 = 2*I_ext + 2*d_t16 + 2*eta - 2
    d_t53 = d_t29*d_t47
    d_t54 = d_t14 + d_t18*d_t26 + d_t52
    d_t55 = d_t35*d_t47
    d_t56 = 8*d_t4
    d_t57 = d_t15*d_t2*d_t3*d_t44
    d_t58 = J*d_t41*d_t56 - d_t39 - d_t42 + d_t56*d_t57
    d_t59 = -d_t26*d_t38 + d_t34*d_t58 - d_t52
    d_t60 = -d_t10*d_t38*d_t57 - d_t48
    d_t61 = -d_t30*d_t60 - d_t54
    d_t62 = d_t12*d_t23
    d_t63 = -d_t12*d_t25 - d_t23
    d_t64 = d_t34*d_t63 - d_t62
    d_t65 = -d_t0*d_t8 + d_t10*d_t11*d_t12*d_t2*d_t3
    d_t66 = -d_t30*d_t65 - d_t62
    d_t67 = d_t1*d_t12*d_t8
    d_t68 = d_t32*y
    return [[d_t20*d_t21, d_t21*d_t29, -d_t30*d_t33, -d_t21*d_t30], [d_t21*d_t35, d_t21*d_t36, d_t33*d_t34, d_t21*d_t34], [d_t20*d_t47*d_t51 + d_t36*d_t46*d_t47 - d_t53*(2*d_t14 + d_t34*d_t45 + d_t52) - d_t55*(-d_t30*d_t49 - d_t54), (1/4)*d_t20*d_t31*d_t59 + (1/4)*d_t31*d_t36*d_t61 - d_t53*(d_t34*d_t60 - d_t50) - d_t55*(-2*d_t27 - d_t30*d_t58 + d_t37), (1/4)*d_t20*d_t31*d_t64 + (1/4)*d_t31*d_t36*d_t66 - d_t53*(d_t34*d_t65 + d_t67) - d_t55*(-d_t30*d_t63 - d_t67), -d_t1*d_t53 - d_t10*d_t55 - d_t20*d_t68 - d_t36*d_t68], [-d_t21*d_t46 - d_t21*d_t51, -d_t21*d_t59 - d_t21*d_t61, -d_t21*d_t64 - d_t21*d_t66, d_t22]]
